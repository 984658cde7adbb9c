//! Tasks: data sets turned into what a network trains on — float features and class
//! labels, split into training, validation and test parts, reproducible from a data seed.

pub mod mnist;
pub mod toy;

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
