//! MNIST-10k: 10 000 MNIST digits embedded in the binary, so training works
//! offline and in the browser. Provenance and conversion: `assets/mnist10k/README.md`.
//!
//! The split is fixed and deterministic: within each class, in file order, the
//! first ⌊0.8·n⌋ images form the training pool (7996 in total) and the rest the
//! test set (2004). Validation hold-out and standardisation belong to the
//! training code.

use super::idx::{pair_images_labels, read_idx_images, read_idx_labels, IdxError};
use super::{Dataset, CLASSES, IMAGE_PIXELS};

/// The asset's images: IDX3, 10 000 × 28 × 28 unsigned bytes, grouped by class 0..9.
pub const IMAGES_IDX: &[u8] = include_bytes!("../../assets/mnist10k/images-idx3-ubyte");
/// The asset's labels: IDX1, 10 000 digits, non-decreasing.
pub const LABELS_IDX: &[u8] = include_bytes!("../../assets/mnist10k/labels-idx1-ubyte");

/// Images per class in the asset, as printed by `scripts/convert_mnist10k.py`.
pub const CLASS_COUNTS: [usize; CLASSES] = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

/// The embedded set, split into training pool and test set.
///
/// # Panics
/// Never in practice: the embedded asset is checked by this module's tests.
pub fn load() -> Dataset {
    try_load().expect("embedded MNIST-10k asset is valid")
}

/// Parses and splits the embedded asset.
fn try_load() -> Result<Dataset, IdxError> {
    let (images, labels) =
        pair_images_labels(read_idx_images(IMAGES_IDX)?, read_idx_labels(LABELS_IDX)?)?;
    Ok(split(&images, &labels))
}

/// Training-pool size for a class of `n` images: ⌊0.8·n⌋ in exact integers.
pub fn train_quota(n: usize) -> usize {
    n * 4 / 5
}

/// Sends the first `train_quota(n_c)` images of each class c, in order, to
/// the training pool and the others to the test set; order is preserved.
///
/// # Panics
/// If a label is above 9; `read_idx_labels` already refuses those.
pub fn split(images: &[u8], labels: &[u8]) -> Dataset {
    split_images(images, labels, IMAGE_PIXELS)
}

/// [`split`] for images of any size (`pixels` bytes each): the per-class 80 % rule
/// that MNIST-10k, the 8×8 digits and uploaded IDX files share.
pub fn split_images(images: &[u8], labels: &[u8], pixels: usize) -> Dataset {
    let mut class_counts = [0usize; CLASSES];
    for &l in labels {
        class_counts[usize::from(l)] += 1;
    }
    let mut seen = [0usize; CLASSES];
    let mut out = Dataset {
        train_images: Vec::new(),
        train_labels: Vec::new(),
        test_images: Vec::new(),
        test_labels: Vec::new(),
    };
    for (image, &label) in images.chunks_exact(pixels).zip(labels) {
        let c = usize::from(label);
        let (xs, ys) = if seen[c] < train_quota(class_counts[c]) {
            (&mut out.train_images, &mut out.train_labels)
        } else {
            (&mut out.test_images, &mut out.test_labels)
        };
        xs.extend_from_slice(image);
        ys.push(label);
        seen[c] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 64-bit FNV-1a: position-sensitive, so it also catches reordered images.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    fn counts(labels: &[u8]) -> [usize; CLASSES] {
        let mut c = [0; CLASSES];
        labels.iter().for_each(|&l| c[usize::from(l)] += 1);
        c
    }

    #[test]
    fn asset_matches_the_conversion_script() {
        // Values printed by scripts/convert_mnist10k.py (see the asset README);
        // the script and this reader are independent implementations.
        assert_eq!(IMAGES_IDX.len(), 16 + 10_000 * IMAGE_PIXELS);
        assert_eq!(LABELS_IDX.len(), 8 + 10_000);
        let images = read_idx_images(IMAGES_IDX).unwrap();
        let labels = read_idx_labels(LABELS_IDX).unwrap();
        assert_eq!((images.count, images.rows, images.cols), (10_000, 28, 28));
        let sum: u64 = images.pixels.iter().map(|&b| u64::from(b)).sum();
        assert_eq!(sum, 262_146_600);
        assert_eq!(fnv1a(&images.pixels), 0xbed3_67b4_6abd_5dc3);
        assert_eq!(fnv1a(&labels), 0xe265_d837_d08b_e00b);
        assert_eq!(counts(&labels), CLASS_COUNTS);
        assert!(labels.windows(2).all(|w| w[0] <= w[1]), "grouped by class");
    }

    #[test]
    fn split_sizes_and_classes() {
        let data = load();
        assert_eq!((data.train_len(), data.test_len()), (7996, 2004));
        assert_eq!(data.train_images.len(), 7996 * IMAGE_PIXELS);
        assert_eq!(data.test_images.len(), 2004 * IMAGE_PIXELS);
        let train = counts(&data.train_labels);
        let test = counts(&data.test_labels);
        for c in 0..CLASSES {
            assert_eq!(train[c], train_quota(CLASS_COUNTS[c]), "class {c}");
            assert_eq!(train[c] + test[c], CLASS_COUNTS[c], "class {c}");
        }
        assert_eq!(train, [800, 901, 792, 825, 784, 690, 811, 856, 755, 782]);
        assert_eq!(data.train_labels[0], 0);
        assert_eq!(data.test_labels[0], 0);
    }

    #[test]
    fn split_keeps_file_order() {
        let all = read_idx_images(IMAGES_IDX).unwrap().pixels;
        let data = load();
        let image = |i: usize| &all[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
        // Class 0 holds asset images 0..1001; 800 train, then 201 test.
        assert_eq!(data.train_image(0), image(0));
        assert_eq!(data.train_image(799), image(799));
        assert_eq!(data.test_image(0), image(800));
        // Class 1 starts at asset image 1001 and training image 800.
        assert_eq!(data.train_image(800), image(1001));
        assert_eq!(data.test_image(201), image(1001 + 901));
        let first = data.train_image(0);
        assert_eq!(first.iter().filter(|&&b| b > 0).count(), 176);
        assert_eq!(first.iter().map(|&b| u32::from(b)).sum::<u32>(), 31_095);
    }

    #[test]
    fn train_pool_pixel_stats() {
        let data = load();
        let sum: u64 = data.train_images.iter().map(|&b| u64::from(b)).sum();
        assert_eq!(sum, 209_225_317);
        let s = data.train_pixel_stats();
        assert!((s.mean - 0.130_883_592_181_355_62).abs() < 1e-12, "{s:?}");
        assert!((s.std - 0.308_351_978_181_269_1).abs() < 1e-12, "{s:?}");
    }

    #[test]
    fn train_quota_is_floor_of_four_fifths() {
        assert_eq!(train_quota(1001), 800);
        assert_eq!(train_quota(5), 4);
        assert_eq!(train_quota(4), 3);
        assert_eq!(train_quota(0), 0);
    }
}
