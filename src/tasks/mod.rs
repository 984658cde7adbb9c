//! Tasks: data sets turned into what a network trains on — float features and class
//! labels, split into training, validation and test parts, reproducible from a data seed.

pub mod causes;
pub mod mnist;
pub mod toy;

/// Every task by name, as `--task` takes it (native only: the installed sets are files):
/// `mnist10k`, `digits8`, `mnist` and `fashion-mnist` (installed by `bash scripts/setup.sh
/// data`) and the toy tasks; with `idx`, the four IDX files (plain or gzip) in that folder.
#[cfg(not(target_arch = "wasm32"))]
pub fn load(name: &str, idx: Option<&std::path::Path>, data_seed: u64) -> Result<TaskData, String> {
    use crate::data::Installed;
    if let Some(dir) = idx {
        return mnist::mnist_dir(dir, data_seed);
    }
    match name {
        "mnist10k" => Ok(mnist::mnist10k(data_seed)),
        "digits8" => Ok(mnist::digits8(data_seed)),
        _ => match Installed::from_task_name(name) {
            Some(set) => mnist::installed(set, data_seed),
            None => toy::by_name(name, data_seed).ok_or_else(|| {
                format!(
                    "unknown task '{name}' (known: mnist10k, mnist, fashion-mnist, digits8, {})",
                    toy::NAMES.join(", ")
                )
            }),
        },
    }
}

/// A classification data set ready for a network.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskData {
    /// Task name as used in configs and URLs (e.g. `mnist10k`, `xor`).
    pub name: String,
    /// Features per sample.
    pub dim: usize,
    /// Number of classes; labels are `0..classes`.
    pub classes: usize,
    /// Row-major features, `dim` per sample, and one label per sample.
    pub train_x: Vec<f32>,
    pub train_y: Vec<u8>,
    pub val_x: Vec<f32>,
    pub val_y: Vec<u8>,
    pub test_x: Vec<f32>,
    pub test_y: Vec<u8>,
    /// (rows, columns) when the features are an image, for receptive-field views.
    pub image: Option<(usize, usize)>,
}

/// One part of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Train = 0,
    Val = 1,
    Test = 2,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::Val, Split::Test];
}

impl TaskData {
    /// The features (row-major, `dim` per row) and labels of one part.
    pub fn part(&self, split: Split) -> (&[f32], &[u8]) {
        match split {
            Split::Train => (&self.train_x, &self.train_y),
            Split::Val => (&self.val_x, &self.val_y),
            Split::Test => (&self.test_x, &self.test_y),
        }
    }

    pub fn train_len(&self) -> usize {
        self.train_y.len()
    }

    pub fn val_len(&self) -> usize {
        self.val_y.len()
    }

    pub fn test_len(&self) -> usize {
        self.test_y.len()
    }
}
