//! MNIST as a task: the embedded MNIST-10k split or a full IDX directory, with 20 % of
//! the training pool held out for validation by the data seed and pixels standardised
//! with the training pool's scalar mean and standard deviation (method §5).

use super::TaskData;
use crate::data::{Dataset, CLASSES, IMAGE_PIXELS, IMAGE_SIDE};
use crate::rng::Stream;

/// The embedded 10 000 digits (7996 training pool, 2004 test).
pub fn mnist10k(data_seed: u64) -> TaskData {
    from_dataset("mnist10k", &crate::data::mnist10k::load(), data_seed)
}

/// Full MNIST from a directory of IDX files (native only).
#[cfg(not(target_arch = "wasm32"))]
pub fn mnist_dir(dir: &std::path::Path, data_seed: u64) -> Result<TaskData, String> {
    let data = crate::data::idx::load_mnist_dir(dir).map_err(|e| e.to_string())?;
    Ok(from_dataset("mnist", &data, data_seed))
}

/// Holds out ⌊0.2·n⌋ of the training pool, chosen by a permutation from the data seed,
/// and standardises all pixels with the pool's mean and std.
pub fn from_dataset(name: &str, data: &Dataset, data_seed: u64) -> TaskData {
    let stats = data.train_pixel_stats();
    let scale = |pixels: &[u8]| -> Vec<f32> {
        pixels
            .iter()
            .map(|&p| ((p as f64 / 255.0 - stats.mean) / stats.std) as f32)
            .collect()
    };
    let n = data.train_len();
    let mut order: Vec<usize> = (0..n).collect();
    Stream::new(data_seed).shuffle(&mut order);
    let val_count = n / 5;
    let (val_idx, train_idx) = order.split_at(val_count);
    let gather = |idx: &[usize]| -> (Vec<f32>, Vec<u8>) {
        let mut sorted = idx.to_vec();
        sorted.sort_unstable();
        let mut x = Vec::with_capacity(sorted.len() * IMAGE_PIXELS);
        let mut y = Vec::with_capacity(sorted.len());
        for i in sorted {
            x.extend(scale(data.train_image(i)));
            y.push(data.train_labels[i]);
        }
        (x, y)
    };
    let (train_x, train_y) = gather(train_idx);
    let (val_x, val_y) = gather(val_idx);
    TaskData {
        name: name.into(),
        dim: IMAGE_PIXELS,
        classes: CLASSES,
        train_x,
        train_y,
        val_x,
        val_y,
        test_x: scale(&data.test_images),
        test_y: data.test_labels.clone(),
        image: Some((IMAGE_SIDE, IMAGE_SIDE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_sizes_and_standardisation() {
        let t = mnist10k(1);
        assert_eq!(t.train_len() + t.val_len(), 7996);
        assert_eq!(t.val_len(), 1599);
        assert_eq!(t.test_len(), 2004);
        // Standardised over the whole pool: mean 0, std 1 (train and val together).
        let all: Vec<f64> = t
            .train_x
            .iter()
            .chain(&t.val_x)
            .map(|&v| v as f64)
            .collect();
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        let var = all.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / all.len() as f64;
        assert!(
            mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3,
            "{mean} {var}"
        );
        let u = mnist10k(2);
        assert_ne!(t.val_y, u.val_y);
        assert_eq!(t, mnist10k(1));
    }
}
