//! Image data sets: a reader for the IDX files MNIST ships in, and the small
//! MNIST-10k subset embedded in the crate so native and wasm builds train
//! without any download.

pub mod idx;
pub mod mnist10k;

/// Side length of an MNIST image; the models take `IMAGE_PIXELS` inputs.
pub const IMAGE_SIDE: usize = 28;
/// Pixels per image, stored row-major as one byte each (0 = background).
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Digit classes 0..=9.
pub const CLASSES: usize = 10;

/// Train and test images with their labels, kept as raw bytes so the asset
/// costs no more memory than on disk; scaling happens in the training code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    /// `train_len() * IMAGE_PIXELS` bytes, image after image.
    pub train_images: Vec<u8>,
    /// One class 0..=9 per training image.
    pub train_labels: Vec<u8>,
    /// `test_len() * IMAGE_PIXELS` bytes, image after image.
    pub test_images: Vec<u8>,
    /// One class 0..=9 per test image.
    pub test_labels: Vec<u8>,
}

/// Mean and population standard deviation of pixel/255, used to standardise inputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PixelStats {
    pub mean: f64,
    pub std: f64,
}

impl Dataset {
    /// Number of training images.
    pub fn train_len(&self) -> usize {
        self.train_labels.len()
    }

    /// Number of test images.
    pub fn test_len(&self) -> usize {
        self.test_labels.len()
    }

    /// The `i`-th training image's pixels.
    pub fn train_image(&self, i: usize) -> &[u8] {
        &self.train_images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]
    }

    /// The `i`-th test image's pixels.
    pub fn test_image(&self, i: usize) -> &[u8] {
        &self.test_images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]
    }

    /// Scalar statistics of all training pixels scaled to [0, 1].
    pub fn train_pixel_stats(&self) -> PixelStats {
        pixel_stats(&self.train_images)
    }
}

/// Mean and population std of `byte / 255` over `pixels`.
///
/// Sums are accumulated in integers, so the result is exact up to the final
/// division and independent of summation order.
pub fn pixel_stats(pixels: &[u8]) -> PixelStats {
    if pixels.is_empty() {
        return PixelStats {
            mean: 0.0,
            std: 0.0,
        };
    }
    let (sum, sum_sq) = pixels.iter().fold((0u128, 0u128), |(s, q), &b| {
        let b = u128::from(b);
        (s + b, q + b * b)
    });
    let n = pixels.len() as u128;
    // n²·Var = n·Σb² − (Σb)², which is a non-negative integer.
    let n2_var = n * sum_sq - sum * sum;
    let (n, scale) = (n as f64, 255.0);
    PixelStats {
        mean: sum as f64 / (n * scale),
        std: (n2_var as f64).sqrt() / (n * scale),
    }
}

/// Where `bash scripts/setup.sh data` installs full MNIST (the four original IDX files):
/// `$INFOMORPH_MNIST_DIR` if set, else `data/mnist` in the project folder.
#[cfg(not(target_arch = "wasm32"))]
pub fn installed_mnist_dir() -> std::path::PathBuf {
    match std::env::var_os("INFOMORPH_MNIST_DIR") {
        Some(dir) => dir.into(),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_stats_of_two_values() {
        let s = pixel_stats(&[0, 255]);
        assert_eq!(s.mean, 0.5);
        assert_eq!(s.std, 0.5);
    }

    #[test]
    fn pixel_stats_of_constant_and_empty() {
        assert_eq!(
            pixel_stats(&[51; 9]),
            PixelStats {
                mean: 0.2,
                std: 0.0
            }
        );
        assert_eq!(
            pixel_stats(&[]),
            PixelStats {
                mean: 0.0,
                std: 0.0
            }
        );
    }
}
