//! The MNIST-format loader on small fixtures made here: plain and gzip IDX files (as
//! Fashion-MNIST ships them), SHA-256 checks, the paper's split sizes, and bad files
//! refused with an error that names the file and the fault.

use flate2::write::GzEncoder;
use flate2::Compression;
use infomorph::data::idx::{load_idx_dir_checked, load_mnist_dir, sha256_hex, IdxError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    dims.iter().for_each(|d| out.extend(d.to_be_bytes()));
    out.extend_from_slice(data);
    out
}

fn images(n: usize, seed: usize) -> Vec<u8> {
    let pixels: Vec<u8> = (0..n * 784)
        .map(|i| ((i * 31 + seed) % 256) as u8)
        .collect();
    idx(0x0803, &[n as u32, 28, 28], &pixels)
}

fn labels(n: usize) -> Vec<u8> {
    let l: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    idx(0x0801, &[n as u32], &l)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "infomorph-data-loader-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const NAMES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// Fashion-MNIST's layout: four gzip IDX files, 50 training and 12 test images.
fn write_gz_set(dir: &Path) -> Vec<(String, String)> {
    let files = [images(50, 1), labels(50), images(12, 2), labels(12)];
    NAMES
        .iter()
        .zip(files)
        .map(|(name, bytes)| {
            let gz = gzip(&bytes);
            std::fs::write(dir.join(name), &gz).unwrap();
            (name.to_string(), sha256_hex(&gz))
        })
        .collect()
}

fn sums(list: &[(String, String)]) -> Vec<(&str, &str)> {
    list.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect()
}

#[test]
fn gzip_set_loads_with_its_checksums_and_splits_as_the_paper() {
    let dir = temp_dir("ok");
    let recorded = write_gz_set(&dir);
    let data = load_idx_dir_checked(&dir, &sums(&recorded)).unwrap();
    assert_eq!((data.train_len(), data.test_len()), (50, 12));
    assert_eq!(data.train_images, images(50, 1)[16..]);
    assert_eq!(data.test_labels, labels(12)[8..]);
    // The same set read without checks, and a plain file beside gzip ones.
    std::fs::remove_file(dir.join(NAMES[3])).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), labels(12)).unwrap();
    assert_eq!(load_mnist_dir(&dir).unwrap(), data);
    // The paper's split: 20 % of the training pool to validation, the test set whole.
    let task = infomorph::tasks::mnist::mnist_dir(&dir, 7).unwrap();
    assert_eq!(
        (task.train_len(), task.val_len(), task.test_len()),
        (40, 10, 12)
    );
    assert_eq!(
        (task.dim, task.classes, task.image),
        (784, 10, Some((28, 28)))
    );
    let other = infomorph::tasks::mnist::mnist_dir(&dir, 8).unwrap();
    assert_ne!(
        task.val_y, other.val_y,
        "the data seed picks the validation rows"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_with_another_checksum_is_refused_naming_it() {
    let dir = temp_dir("checksum");
    let mut recorded = write_gz_set(&dir);
    recorded[2].1 = "0".repeat(64);
    let err = load_idx_dir_checked(&dir, &sums(&recorded)).unwrap_err();
    let IdxError::Checksum { path, found, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(path.ends_with("t10k-images-idx3-ubyte.gz"), "{path}");
    assert_eq!(found.len(), 64);
    let msg = err.to_string();
    assert!(
        msg.contains("SHA-256") && msg.contains("bash scripts/setup.sh data"),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Bad files: each refused, the message names the file and what is wrong.
#[test]
fn bad_files_are_refused_with_a_clear_error() {
    let cases: [(&str, usize, Vec<u8>, &str); 5] = [
        // Wrong magic inside a valid gzip stream (float data, 0x0D).
        (
            "magic",
            0,
            gzip(&idx(0x0D03, &[50, 28, 28], &[0; 50 * 784])),
            "magic 0x00000d03",
        ),
        // A gzip stream cut short.
        (
            "truncated-gzip",
            0,
            gzip(&images(50, 1))[..200].to_vec(),
            "not a valid gzip file",
        ),
        // A complete gzip stream of a truncated IDX file.
        (
            "truncated-idx",
            0,
            gzip(&images(50, 1)[..5000]),
            "truncated",
        ),
        // Labels for 49 images where there are 50.
        ("count", 1, gzip(&labels(49)), "50 images but 49 labels"),
        // A label file where the images belong.
        ("rank", 0, gzip(&labels(50)), "1 dimension(s), expected 3"),
    ];
    for (name, file, bytes, expected) in cases {
        let dir = temp_dir(name);
        write_gz_set(&dir);
        std::fs::write(dir.join(NAMES[file]), bytes).unwrap();
        let err = load_mnist_dir(&dir).unwrap_err().to_string();
        assert!(err.contains(expected), "{name}: {err}");
        assert!(
            err.contains(NAMES[file]),
            "{name}: the file is named: {err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

fn infomorph_with(env: (&str, &Path), args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infomorph"))
        .args(args)
        .env(env.0, env.1)
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// `--task fashion-mnist`: not installed → one line saying how (exit 2); installed files
/// that are not Debian's → refused by their SHA-256.
#[test]
fn fashion_mnist_missing_or_altered_is_one_line() {
    let args = ["train", "--task", "fashion-mnist", "--epochs", "1"];
    let var = "INFOMORPH_FASHION_MNIST_DIR";
    let (code, err) = infomorph_with((var, Path::new("/nonexistent/fashion")), &args);
    assert_eq!(code, Some(2));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("Fashion-MNIST is not installed in /nonexistent/fashion"),
        "{err}"
    );
    assert!(err.contains("bash scripts/setup.sh data"), "{err}");
    let dir = temp_dir("fashion-altered");
    write_gz_set(&dir);
    let (code, err) = infomorph_with((var, &dir), &args);
    assert_eq!(code, Some(2));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("train-images-idx3-ubyte.gz has SHA-256"),
        "{err}"
    );
    std::fs::remove_file(dir.join(NAMES[1])).unwrap();
    let (code, err) = infomorph_with((var, &dir), &args);
    assert_eq!(code, Some(2));
    assert!(err.contains("Fashion-MNIST is incomplete"), "{err}");
    assert!(err.contains("bash scripts/setup.sh data"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
