//! A dependency-free reader for unsigned-byte IDX files, the format of the
//! original MNIST distribution (<http://yann.lecun.com/exdb/mnist/>).
//!
//! Layout: a big-endian magic `0x0000_08NN` (0x08 = unsigned byte, NN = number
//! of dimensions), NN big-endian `u32` sizes, then the bytes in row-major order.

use super::{CLASSES, IMAGE_SIDE};
use std::fmt;

/// IDX data type code for unsigned bytes, the only type MNIST uses.
const UBYTE: u8 = 0x08;
/// Dimensions of an image file: count, rows, columns.
const IMAGE_DIMS: u8 = 3;
/// Dimensions of a label file: count.
const LABEL_DIMS: u8 = 1;

/// Why an IDX file or MNIST directory was refused; `Display` is meant for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdxError {
    /// Fewer bytes than the header needs.
    TooShort { len: usize, need: usize },
    /// Not an unsigned-byte IDX magic number.
    BadMagic { found: u32 },
    /// An IDX file of the wrong rank (e.g. a label file passed as images).
    WrongDims { expected: u8, found: u8 },
    /// The payload does not match the header's sizes (truncated or corrupt).
    SizeMismatch { expected: u128, found: usize },
    /// A label outside 0..=9.
    LabelOutOfRange { index: usize, label: u8 },
    /// Images that are not 28×28, so they cannot be MNIST.
    WrongImageSize { rows: usize, cols: usize },
    /// Image and label files disagree on how many items there are.
    CountMismatch { images: usize, labels: usize },
    /// None of the accepted names for a file exists in the directory.
    MissingFile { dir: String, names: Vec<String> },
    /// The file exists but could not be read.
    Io { path: String, message: String },
    /// An error inside a named file.
    InFile { path: String, error: Box<IdxError> },
    /// A gzip file that does not decompress (corrupt, truncated, CRC mismatch).
    Gzip { message: String },
    /// An installed file whose SHA-256 is not the recorded one.
    Checksum {
        path: String,
        expected: String,
        found: String,
    },
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len, need } => write!(
                f,
                "IDX file too short: {len} bytes, but its header needs at least {need}"
            ),
            Self::BadMagic { found } => write!(
                f,
                "not an unsigned-byte IDX file: magic 0x{found:08x}, expected 0x000008NN"
            ),
            Self::WrongDims { expected, found } => write!(
                f,
                "IDX file has {found} dimension(s), expected {expected} \
                 ({IMAGE_DIMS} for images, {LABEL_DIMS} for labels)"
            ),
            Self::SizeMismatch { expected, found } => write!(
                f,
                "IDX header promises {expected} data bytes but the file holds {found} \
                 (truncated or corrupt)"
            ),
            Self::LabelOutOfRange { index, label } => {
                write!(f, "label {index} is {label}, expected a digit 0..=9")
            }
            Self::WrongImageSize { rows, cols } => write!(
                f,
                "images are {rows}×{cols}, expected {IMAGE_SIDE}×{IMAGE_SIDE} for MNIST"
            ),
            Self::CountMismatch { images, labels } => {
                write!(f, "{images} images but {labels} labels")
            }
            Self::MissingFile { dir, names } => {
                let (first, others) = names.split_first().map_or(("", &[][..]), |(f, o)| (f, o));
                write!(f, "missing IDX file {first} in {dir}")?;
                if !others.is_empty() {
                    write!(f, " (also looked for {})", others.join(", "))?;
                }
                Ok(())
            }
            Self::Io { path, message } => write!(f, "cannot read {path}: {message}"),
            Self::InFile { path, error } => write!(f, "{path}: {error}"),
            Self::Gzip { message } => write!(f, "not a valid gzip file: {message}"),
            Self::Checksum {
                path,
                expected,
                found,
            } => write!(
                f,
                "{path} has SHA-256 {found}, expected {expected} (a damaged or different file: \
                 reinstall it with `bash scripts/setup.sh data`)"
            ),
        }
    }
}

impl std::error::Error for IdxError {}

/// Images from an IDX3 file, one byte per pixel, image after image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    /// `count * rows * cols` bytes in row-major order.
    pub pixels: Vec<u8>,
}

/// Parses an unsigned-byte IDX3 image file (magic 0x00000803).
pub fn read_idx_images(bytes: &[u8]) -> Result<IdxImages, IdxError> {
    read_idx_images_owned(bytes.to_vec())
}

/// As [`read_idx_images`], keeping the file's buffer as the pixels (the header is
/// moved out in place, so loading holds no second copy of the images).
pub fn read_idx_images_owned(bytes: Vec<u8>) -> Result<IdxImages, IdxError> {
    let (dims, pixels) = strip(bytes, IMAGE_DIMS)?;
    Ok(IdxImages {
        count: dims[0],
        rows: dims[1],
        cols: dims[2],
        pixels,
    })
}

/// Parses an unsigned-byte IDX1 label file (magic 0x00000801) of digits 0..=9.
pub fn read_idx_labels(bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    read_idx_labels_owned(bytes.to_vec())
}

/// As [`read_idx_labels`], keeping the file's buffer.
pub fn read_idx_labels_owned(bytes: Vec<u8>) -> Result<Vec<u8>, IdxError> {
    let (_, data) = strip(bytes, LABEL_DIMS)?;
    if let Some(index) = data.iter().position(|&l| usize::from(l) >= CLASSES) {
        let label = data[index];
        return Err(IdxError::LabelOutOfRange { index, label });
    }
    Ok(data)
}

/// [`parse`] on an owned buffer: the sizes and the buffer without its header.
fn strip(mut bytes: Vec<u8>, ndims: u8) -> Result<(Vec<usize>, Vec<u8>), IdxError> {
    let (dims, data) = parse(&bytes, ndims)?;
    let header = bytes.len() - data.len();
    bytes.drain(..header);
    Ok((dims, bytes))
}

/// The first two bytes of every gzip file.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The bytes of an IDX file as stored: gzip files (recognised by their magic, as
/// Fashion-MNIST and many MNIST mirrors ship them) are decompressed, others returned
/// as they are. Native only.
#[cfg(not(target_arch = "wasm32"))]
pub fn gunzip_if_needed(bytes: Vec<u8>) -> Result<Vec<u8>, IdxError> {
    use std::io::Read;
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(bytes);
    }
    // The trailer holds the uncompressed size modulo 2³², a capacity hint.
    let hint = bytes
        .len()
        .checked_sub(4)
        .and_then(|at| read_u32_le(&bytes, at))
        .map_or(0, |n| (n as usize).min(1 << 30));
    let mut out = Vec::with_capacity(hint);
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .read_to_end(&mut out)
        .map_err(|e| IdxError::Gzip {
            message: e.to_string(),
        })?;
    Ok(out)
}

#[cfg(not(target_arch = "wasm32"))]
fn read_u32_le(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes(word.try_into().ok()?))
}

/// Checks the header against the expected rank and returns the sizes and payload.
fn parse(bytes: &[u8], ndims: u8) -> Result<(Vec<usize>, &[u8]), IdxError> {
    let magic = read_u32(bytes, 0).ok_or(IdxError::TooShort {
        len: bytes.len(),
        need: 4,
    })?;
    let [zero0, zero1, kind, found] = magic.to_be_bytes();
    if zero0 != 0 || zero1 != 0 || kind != UBYTE {
        return Err(IdxError::BadMagic { found: magic });
    }
    if found != ndims {
        return Err(IdxError::WrongDims {
            expected: ndims,
            found,
        });
    }
    let header = 4 + 4 * usize::from(ndims);
    let dims: Vec<u32> = (0..usize::from(ndims))
        .map(|i| read_u32(bytes, 4 + 4 * i))
        .collect::<Option<_>>()
        .ok_or(IdxError::TooShort {
            len: bytes.len(),
            need: header,
        })?;
    let data = &bytes[header..];
    check_payload(&dims, data.len())?;
    // The payload matched, so every size fits in usize.
    Ok((dims.iter().map(|&d| d as usize).collect(), data))
}

/// Refuses a payload whose length differs from the product of the sizes.
fn check_payload(dims: &[u32], len: usize) -> Result<(), IdxError> {
    // Three u32 factors fit in u128 without overflow, on any target.
    let expected: u128 = dims.iter().map(|&d| u128::from(d)).product();
    if expected != len as u128 {
        return Err(IdxError::SizeMismatch {
            expected,
            found: len,
        });
    }
    Ok(())
}

/// Big-endian u32 at `at`, or `None` past the end.
fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes(word.try_into().ok()?))
}

/// Pairs parsed images with their labels, checking they agree and are 28×28.
pub fn pair_images_labels(
    images: IdxImages,
    labels: Vec<u8>,
) -> Result<(Vec<u8>, Vec<u8>), IdxError> {
    if (images.rows, images.cols) != (IMAGE_SIDE, IMAGE_SIDE) {
        return Err(IdxError::WrongImageSize {
            rows: images.rows,
            cols: images.cols,
        });
    }
    if images.count != labels.len() {
        return Err(IdxError::CountMismatch {
            images: images.count,
            labels: labels.len(),
        });
    }
    Ok((images.pixels, labels))
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::{load_idx_dir_checked, load_mnist_dir, sha256_hex, MNIST_FILES};

/// Reading the full MNIST set from disk; browsers have no file system.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::{
        gunzip_if_needed, pair_images_labels, read_idx_images_owned, read_idx_labels_owned,
        IdxError,
    };
    use crate::data::Dataset;
    use sha2::{Digest, Sha256};
    use std::path::{Path, PathBuf};

    /// Accepted file names for each part of an MNIST-format set (MNIST, Fashion-MNIST):
    /// the official names first, then the dotted variants many mirrors use, each also
    /// gzip-compressed (`.gz`, read as it is).
    pub const MNIST_FILES: [[&str; 4]; 4] = [
        [
            "train-images-idx3-ubyte",
            "train-images.idx3-ubyte",
            "train-images-idx3-ubyte.gz",
            "train-images.idx3-ubyte.gz",
        ],
        [
            "train-labels-idx1-ubyte",
            "train-labels.idx1-ubyte",
            "train-labels-idx1-ubyte.gz",
            "train-labels.idx1-ubyte.gz",
        ],
        [
            "t10k-images-idx3-ubyte",
            "t10k-images.idx3-ubyte",
            "t10k-images-idx3-ubyte.gz",
            "t10k-images.idx3-ubyte.gz",
        ],
        [
            "t10k-labels-idx1-ubyte",
            "t10k-labels.idx1-ubyte",
            "t10k-labels-idx1-ubyte.gz",
            "t10k-labels.idx1-ubyte.gz",
        ],
    ];

    /// Loads an MNIST-format set (60k train, 10k test for MNIST and Fashion-MNIST) from
    /// the four IDX files in `dir`, plain or gzip; errors name the missing or broken file.
    pub fn load_mnist_dir(dir: &Path) -> Result<Dataset, IdxError> {
        load_idx_dir_checked(dir, &[])
    }

    /// As [`load_mnist_dir`], and every file whose name is in `sha256` (file name, hex
    /// digest of the file as stored) must have that digest; a file not listed is not
    /// checked.
    pub fn load_idx_dir_checked(dir: &Path, sha256: &[(&str, &str)]) -> Result<Dataset, IdxError> {
        // Find all four first, so a missing file is reported before any big read.
        let paths = MNIST_FILES
            .iter()
            .map(|names| find(dir, names))
            .collect::<Result<Vec<_>, _>>()?;
        let read_checked = |path: &Path| -> Result<Vec<u8>, IdxError> {
            let bytes = read(path)?;
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some((_, expected)) = sha256.iter().find(|(n, _)| *n == name) {
                let found = sha256_hex(&bytes);
                if !found.eq_ignore_ascii_case(expected) {
                    return Err(IdxError::Checksum {
                        path: path.display().to_string(),
                        expected: expected.to_string(),
                        found,
                    });
                }
            }
            gunzip_if_needed(bytes).map_err(|e| in_file(path, e))
        };
        let (train_images, train_labels) = load_pair(&paths[0], &paths[1], &read_checked)?;
        let (test_images, test_labels) = load_pair(&paths[2], &paths[3], &read_checked)?;
        Ok(Dataset {
            train_images,
            train_labels,
            test_images,
            test_labels,
        })
    }

    /// The SHA-256 of `bytes` as 64 lower-case hex digits.
    pub fn sha256_hex(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// One split from an image file and a label file, with errors tagged by path.
    fn load_pair(
        image_path: &Path,
        label_path: &Path,
        read: &dyn Fn(&Path) -> Result<Vec<u8>, IdxError>,
    ) -> Result<(Vec<u8>, Vec<u8>), IdxError> {
        let images =
            read_idx_images_owned(read(image_path)?).map_err(|e| in_file(image_path, e))?;
        let labels =
            read_idx_labels_owned(read(label_path)?).map_err(|e| in_file(label_path, e))?;
        pair_images_labels(images, labels).map_err(|error| IdxError::InFile {
            path: format!("{} with {}", image_path.display(), label_path.display()),
            error: Box::new(error),
        })
    }

    /// Tags an error with the file it came from.
    fn in_file(path: &Path, error: IdxError) -> IdxError {
        IdxError::InFile {
            path: path.display().to_string(),
            error: Box::new(error),
        }
    }

    /// The first of `names` that exists in `dir`.
    fn find(dir: &Path, names: &[&str]) -> Result<PathBuf, IdxError> {
        names
            .iter()
            .map(|name| dir.join(name))
            .find(|path| path.is_file())
            .ok_or_else(|| IdxError::MissingFile {
                dir: dir.display().to_string(),
                names: names.iter().map(|n| n.to_string()).collect(),
            })
    }

    /// The whole file, or an error naming it.
    fn read(path: &Path) -> Result<Vec<u8>, IdxError> {
        std::fs::read(path).map_err(|e| IdxError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IMAGE_PIXELS;

    /// An IDX file with the given magic, sizes and payload.
    fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut out = magic.to_be_bytes().to_vec();
        dims.iter().for_each(|d| out.extend(d.to_be_bytes()));
        out.extend_from_slice(data);
        out
    }

    fn images_file(n: u32, rows: u32, cols: u32) -> Vec<u8> {
        let len = (n * rows * cols) as usize;
        let pixels: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
        idx(0x0803, &[n, rows, cols], &pixels)
    }

    fn labels_file(labels: &[u8]) -> Vec<u8> {
        idx(0x0801, &[labels.len() as u32], labels)
    }

    #[test]
    fn reads_images_and_labels() {
        let images = read_idx_images(&images_file(2, 3, 4)).unwrap();
        assert_eq!((images.count, images.rows, images.cols), (2, 3, 4));
        assert_eq!(images.pixels.len(), 24);
        assert_eq!(images.pixels[1], 7);
        assert_eq!(
            read_idx_labels(&labels_file(&[3, 9, 0])).unwrap(),
            [3, 9, 0]
        );
    }

    #[test]
    fn too_short() {
        let err = read_idx_images(&[0, 0, 8]).unwrap_err();
        assert_eq!(err, IdxError::TooShort { len: 3, need: 4 });
        let err = read_idx_images(&idx(0x0803, &[1, 28], &[])).unwrap_err();
        assert_eq!(err, IdxError::TooShort { len: 12, need: 16 });
        assert!(err.to_string().contains("too short"), "{err}");
    }

    #[test]
    fn wrong_magic() {
        let mut bytes = images_file(1, 2, 2);
        bytes[2] = 0x0D; // float data
        let err = read_idx_images(&bytes).unwrap_err();
        assert_eq!(err, IdxError::BadMagic { found: 0x0D03 });
        let gzip = [0x1f, 0x8b, 0x08, 0x08, 0, 0, 0, 0];
        assert!(matches!(
            read_idx_labels(&gzip),
            Err(IdxError::BadMagic { .. })
        ));
        assert!(err.to_string().contains("0x00000d03"), "{err}");
    }

    #[test]
    fn wrong_dimension_count() {
        let err = read_idx_images(&labels_file(&[1, 2])).unwrap_err();
        assert_eq!(
            err,
            IdxError::WrongDims {
                expected: 3,
                found: 1
            }
        );
        let err = read_idx_labels(&images_file(1, 2, 2)).unwrap_err();
        assert_eq!(
            err,
            IdxError::WrongDims {
                expected: 1,
                found: 3
            }
        );
    }

    #[test]
    fn truncated_or_padded_payload() {
        let mut bytes = images_file(2, 3, 4);
        bytes.pop();
        let err = read_idx_images(&bytes).unwrap_err();
        assert_eq!(
            err,
            IdxError::SizeMismatch {
                expected: 24,
                found: 23
            }
        );
        assert!(err.to_string().contains("truncated"), "{err}");
        let mut bytes = labels_file(&[1, 2]);
        bytes.push(0);
        let err = read_idx_labels(&bytes).unwrap_err();
        assert_eq!(
            err,
            IdxError::SizeMismatch {
                expected: 2,
                found: 3
            }
        );
        // Huge sizes must not overflow.
        let huge = idx(0x0803, &[u32::MAX; 3], &[0; 4]);
        assert!(matches!(
            read_idx_images(&huge),
            Err(IdxError::SizeMismatch { .. })
        ));
    }

    #[test]
    fn label_out_of_range() {
        let err = read_idx_labels(&labels_file(&[0, 9, 10])).unwrap_err();
        assert_eq!(
            err,
            IdxError::LabelOutOfRange {
                index: 2,
                label: 10
            }
        );
    }

    #[test]
    fn pairing_checks_size_and_count() {
        let images = read_idx_images(&images_file(2, 28, 28)).unwrap();
        let err = pair_images_labels(images.clone(), vec![1]).unwrap_err();
        assert_eq!(
            err,
            IdxError::CountMismatch {
                images: 2,
                labels: 1
            }
        );
        let (pixels, labels) = pair_images_labels(images, vec![1, 2]).unwrap();
        assert_eq!((pixels.len(), labels), (2 * IMAGE_PIXELS, vec![1, 2]));
        let small = read_idx_images(&images_file(2, 3, 4)).unwrap();
        let err = pair_images_labels(small, vec![1, 2]).unwrap_err();
        assert_eq!(err, IdxError::WrongImageSize { rows: 3, cols: 4 });
    }

    /// Directory loading exists only off the web.
    #[cfg(not(target_arch = "wasm32"))]
    mod dir {
        use super::*;

        /// A fresh, empty directory under the system temp dir, unique per test.
        fn temp_dir(name: &str) -> std::path::PathBuf {
            let dir =
                std::env::temp_dir().join(format!("infomorph-idx-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            dir
        }

        /// A small MNIST directory: 3 training images with official names and
        /// 1 test image with the dotted names some mirrors use.
        fn write_mnist_dir(dir: &std::path::Path) {
            let files = [
                ("train-images-idx3-ubyte", images_file(3, 28, 28)),
                ("train-labels-idx1-ubyte", labels_file(&[5, 0, 4])),
                ("t10k-images.idx3-ubyte", images_file(1, 28, 28)),
                ("t10k-labels.idx1-ubyte", labels_file(&[7])),
            ];
            for (name, bytes) in files {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }

        #[test]
        fn round_trip_through_a_directory() {
            let dir = temp_dir("round-trip");
            write_mnist_dir(&dir);
            let data = load_mnist_dir(&dir).unwrap();
            std::fs::remove_dir_all(&dir).unwrap();
            assert_eq!((data.train_len(), data.test_len()), (3, 1));
            assert_eq!(data.train_images, images_file(3, 28, 28)[16..]);
            assert_eq!(data.train_labels, [5, 0, 4]);
            assert_eq!(data.test_labels, [7]);
            assert_eq!(data.test_image(0), data.train_image(0));
        }

        #[test]
        fn missing_file_is_named() {
            let dir = temp_dir("missing");
            write_mnist_dir(&dir);
            std::fs::remove_file(dir.join("t10k-labels.idx1-ubyte")).unwrap();
            let err = load_mnist_dir(&dir).unwrap_err();
            std::fs::remove_dir_all(&dir).unwrap();
            assert!(
                matches!(&err, IdxError::MissingFile { names, .. } if names[0] == "t10k-labels-idx1-ubyte")
            );
            let msg = err.to_string();
            assert!(msg.contains("t10k-labels-idx1-ubyte"), "{msg}");
            assert!(msg.contains("t10k-labels.idx1-ubyte"), "{msg}");
        }

        #[test]
        fn count_mismatch_names_both_files() {
            let dir = temp_dir("count");
            write_mnist_dir(&dir);
            std::fs::write(dir.join("t10k-labels.idx1-ubyte"), labels_file(&[7, 1])).unwrap();
            let err = load_mnist_dir(&dir).unwrap_err().to_string();
            std::fs::remove_dir_all(&dir).unwrap();
            assert!(err.contains("t10k-images.idx3-ubyte with "), "{err}");
            assert!(
                err.ends_with("t10k-labels.idx1-ubyte: 1 images but 2 labels"),
                "{err}"
            );
        }

        #[test]
        fn broken_file_is_named() {
            let dir = temp_dir("broken");
            let mut truncated = images_file(2, 28, 28);
            truncated.truncate(100);
            write_mnist_dir(&dir);
            std::fs::write(dir.join("train-images-idx3-ubyte"), truncated).unwrap();
            let err = load_mnist_dir(&dir).unwrap_err();
            std::fs::remove_dir_all(&dir).unwrap();
            let IdxError::InFile { path, error } = &err else {
                panic!("unexpected {err:?}");
            };
            assert!(path.ends_with("train-images-idx3-ubyte"), "{path}");
            assert!(matches!(**error, IdxError::SizeMismatch { .. }));
            assert!(err.to_string().contains("truncated"), "{err}");
        }
    }
}
