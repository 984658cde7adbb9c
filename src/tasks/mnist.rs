//! MNIST as a task: the embedded MNIST-10k split or a full IDX directory, with 20 % of
//! the training pool held out for validation by the data seed and pixels standardised
//! with the training pool's scalar mean and standard deviation (method §5).

use super::TaskData;
use crate::data::{Dataset, CLASSES, IMAGE_SIDE};
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

/// An installed MNIST-format set (`bash scripts/setup.sh data`: full MNIST or
/// Fashion-MNIST), SHA-256 checked, with the paper's split (native only).
#[cfg(not(target_arch = "wasm32"))]
pub fn installed(set: crate::data::Installed, data_seed: u64) -> Result<TaskData, String> {
    let data = set.load()?;
    Ok(from_dataset(set.task_name(), &data, data_seed))
}

/// Holds out ⌊0.2·n⌋ of the training pool, chosen by a permutation from the data seed,
/// and standardises all pixels with the pool's mean and std.
pub fn from_dataset(name: &str, data: &Dataset, data_seed: u64) -> TaskData {
    let images = Images {
        train: &data.train_images,
        train_labels: &data.train_labels,
        test: &data.test_images,
        test_labels: &data.test_labels,
        side: IMAGE_SIDE,
        max: 255.0,
    };
    split_and_standardise(name, &images, CLASSES, data_seed)
}

/// Byte images split into training pool and test set, `side`² pixels each, values 0..=max.
pub struct Images<'a> {
    pub train: &'a [u8],
    pub train_labels: &'a [u8],
    pub test: &'a [u8],
    pub test_labels: &'a [u8],
    pub side: usize,
    pub max: f64,
}

/// The method's protocol for image tasks: 20 % of the pool to validation (by the data
/// seed), pixel/max standardised with the pool's scalar mean and standard deviation.
pub fn split_and_standardise(
    name: &str,
    images: &Images,
    classes: usize,
    data_seed: u64,
) -> TaskData {
    let dim = images.side * images.side;
    let n = images.train_labels.len();
    let values = images.train.iter().map(|&p| p as f64 / images.max);
    let count = images.train.len().max(1) as f64;
    let mean = values.clone().sum::<f64>() / count;
    let std = (values.map(|v| (v - mean).powi(2)).sum::<f64>() / count)
        .sqrt()
        .max(1e-12);
    let scale = |pixels: &[u8]| -> Vec<f32> {
        pixels
            .iter()
            .map(|&p| ((p as f64 / images.max - mean) / std) as f32)
            .collect()
    };
    let mut order: Vec<usize> = (0..n).collect();
    Stream::new(data_seed).shuffle(&mut order);
    let (val_idx, train_idx) = order.split_at(n / 5);
    let gather = |idx: &[usize]| -> (Vec<f32>, Vec<u8>) {
        let mut sorted = idx.to_vec();
        crate::order::sort(&mut sorted);
        let mut x = Vec::with_capacity(sorted.len() * dim);
        let mut y = Vec::with_capacity(sorted.len());
        for i in sorted {
            x.extend(scale(&images.train[i * dim..(i + 1) * dim]));
            y.push(images.train_labels[i]);
        }
        (x, y)
    };
    let (train_x, train_y) = gather(train_idx);
    let (val_x, val_y) = gather(val_idx);
    TaskData {
        name: name.into(),
        dim,
        classes,
        train_x,
        train_y,
        val_x,
        val_y,
        test_x: scale(images.test),
        test_y: images.test_labels.to_vec(),
        image: Some((images.side, images.side)),
    }
}

/// The 1797 UCI 8×8 digits shipped in `assets/digits8x8` (see its README): per class the
/// first ⌊0.8·n⌋ images are the training pool, the rest the test set. Built into the
/// native binary; the page fetches the same file (`digits8x8/digits.bin`) and calls
/// [`digits8_from`], which keeps 46 KB (gzipped) out of its wasm.
pub fn digits8(data_seed: u64) -> TaskData {
    const RECORDS: &[u8] = include_bytes!("../../assets/digits8x8/digits.bin");
    digits8_from(RECORDS, data_seed).expect("the shipped digits8 records are valid")
}

/// The digits8 task from its records: 65 bytes per image, the label 0..=9 and then the
/// 64 pixels 0..=16 (the format of `assets/digits8x8/digits.bin`).
pub fn digits8_from(records: &[u8], data_seed: u64) -> Result<TaskData, String> {
    if records.is_empty() || !records.len().is_multiple_of(65) {
        return Err(format!(
            "digits8: {} bytes are not whole records of 65 bytes",
            records.len()
        ));
    }
    if let Some(i) = records
        .chunks_exact(65)
        .position(|r| r[0] > 9 || r[1..].iter().any(|&p| p > 16))
    {
        return Err(format!(
            "digits8: record {i} has a label above 9 or a pixel above 16"
        ));
    }
    let labels: Vec<u8> = records.chunks_exact(65).map(|r| r[0]).collect();
    let pixels: Vec<u8> = records
        .chunks_exact(65)
        .flat_map(|r| r[1..].iter().copied())
        .collect();
    let data = crate::data::mnist10k::split_images(&pixels, &labels, 64);
    let images = Images {
        train: &data.train_images,
        train_labels: &data.train_labels,
        test: &data.test_images,
        test_labels: &data.test_labels,
        side: 8,
        max: 16.0,
    };
    Ok(split_and_standardise(
        "digits8", &images, CLASSES, data_seed,
    ))
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
        let d = digits8(1);
        assert_eq!((d.dim, d.image), (64, Some((8, 8))));
        assert_eq!(d.train_len() + d.val_len() + d.test_len(), 1797);
        assert_eq!(d.train_len() + d.val_len(), 1433);
        let sum: f64 = d.train_x.iter().chain(&d.val_x).map(|&v| v as f64).sum();
        assert!(sum.abs() < 1e-2, "standardised pool sums to {sum}");
        // The page's path (the fetched file) gives the very same task; bad files are refused.
        let records = std::fs::read("assets/digits8x8/digits.bin").unwrap();
        assert_eq!(digits8_from(&records, 1).unwrap(), d);
        assert!(digits8_from(&records[..100], 1)
            .unwrap_err()
            .contains("100 bytes"));
        let mut bad = records.clone();
        bad[65] = 10;
        assert!(digits8_from(&bad, 1).unwrap_err().contains("record 1"));
        let u = mnist10k(2);
        assert_ne!(t.val_y, u.val_y);
        assert_eq!(t, mnist10k(1));
    }
}
