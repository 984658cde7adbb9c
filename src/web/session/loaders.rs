//! Tasks the page builds from what it is given: the built-in ones by name, images in
//! IDX files (MNIST-10k fetched from the page's origin, or the user's own) and tables
//! of numbers (the user's CSV).

use crate::data::idx::{read_idx_images, read_idx_labels};
use crate::network::RunConfig;
use crate::rng::Stream;
use crate::tasks::{self, TaskData};

/// A built-in task (every toy task; `digits8` and MNIST-10k come as files: the page
/// fetches them from its origin, so that they are not part of the wasm).
pub fn task_by_name(name: &str, seed: u64) -> Result<TaskData, String> {
    match name {
        "digits8" => Err("task 'digits8' needs its file: use Session.withDigits8".into()),
        "mnist10k" | "mnist" => Err(format!(
            "task '{name}' needs its image files: use Session.withIdx"
        )),
        _ => tasks::toy::by_name(name, seed).ok_or_else(|| {
            format!(
                "unknown task '{name}' (known: mnist10k, digits8, {})",
                tasks::toy::NAMES.join(", ")
            )
        }),
    }
}

/// Square images of any size and labels 0..=9. Without test files the first 80 % of
/// each class form the training pool and the rest the test set (the MNIST-10k split);
/// 20 % of the pool is held out for validation.
pub fn idx_task(
    config: &RunConfig,
    images: &[u8],
    labels: &[u8],
    test_images: Option<Vec<u8>>,
    test_labels: Option<Vec<u8>>,
) -> Result<TaskData, String> {
    let images = read_idx_images(images).map_err(|e| format!("images: {e}"))?;
    let labels = read_idx_labels(labels).map_err(|e| format!("labels: {e}"))?;
    if images.rows != images.cols || images.rows == 0 {
        return Err(format!(
            "images are {}×{}; square images are needed",
            images.rows, images.cols
        ));
    }
    if images.count != labels.len() {
        return Err(format!(
            "{} images but {} labels",
            images.count,
            labels.len()
        ));
    }
    let side = images.rows;
    let dim = side * side;
    let (train, train_labels, test, test_labels) = match (test_images, test_labels) {
        (Some(ti), Some(tl)) => {
            let ti = read_idx_images(&ti).map_err(|e| format!("test images: {e}"))?;
            let tl = read_idx_labels(&tl).map_err(|e| format!("test labels: {e}"))?;
            if (ti.rows, ti.cols) != (side, side) || ti.count != tl.len() {
                return Err("test images and labels do not match the training set".into());
            }
            (images.pixels, labels, ti.pixels, tl)
        }
        (None, None) => {
            let d = crate::data::mnist10k::split_images(&images.pixels, &labels, dim);
            (d.train_images, d.train_labels, d.test_images, d.test_labels)
        }
        _ => return Err("give both test images and test labels, or neither".into()),
    };
    if train_labels.len() < 5 {
        return Err("need at least 5 training images".into());
    }
    let classes = 1 + *train_labels.iter().chain(&test_labels).max().unwrap_or(&0) as usize;
    let imgs = tasks::mnist::Images {
        train: &train,
        train_labels: &train_labels,
        test: &test,
        test_labels: &test_labels,
        side,
        max: 255.0,
    };
    let name = config.task.clone();
    Ok(tasks::mnist::split_and_standardise(
        &name,
        &imgs,
        classes,
        config.data_seed,
    ))
}

/// A table of numbers (the user's CSV): `x` holds `dim` features per
/// row, `y` one class 0..=255 per row. Rows are shuffled by the data seed and split
/// 60/20/20 into training, validation and test; features are standardised with the
/// training part's mean and standard deviation.
pub fn table_task(
    config: &RunConfig,
    x: Vec<f32>,
    y: Vec<u8>,
    dim: usize,
) -> Result<TaskData, String> {
    let rows = y.len();
    if dim == 0 || x.len() != rows * dim {
        return Err(format!(
            "{} values do not make {rows} rows of {dim} features",
            x.len()
        ));
    }
    if rows < 5 {
        return Err("need at least 5 rows".into());
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "row {}, column {}: not a finite number",
            i / dim + 1,
            i % dim + 1
        ));
    }
    let mut order: Vec<usize> = (0..rows).collect();
    Stream::new(config.data_seed).shuffle(&mut order);
    let n_test = rows / 5;
    let n_val = rows / 5;
    let n_train = rows - n_test - n_val;
    let mut mean = vec![0f64; dim];
    let mut var = vec![0f64; dim];
    for &i in &order[..n_train] {
        for (d, m) in mean.iter_mut().enumerate() {
            *m += x[i * dim + d] as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n_train as f64);
    for &i in &order[..n_train] {
        for (d, v) in var.iter_mut().enumerate() {
            *v += (x[i * dim + d] as f64 - mean[d]).powi(2);
        }
    }
    let std: Vec<f64> = var
        .iter()
        .map(|v| (v / n_train as f64).sqrt().max(1e-12))
        .collect();
    let gather = |idx: &[usize]| {
        let mut xs = Vec::with_capacity(idx.len() * dim);
        let mut ys = Vec::with_capacity(idx.len());
        for &i in idx {
            xs.extend((0..dim).map(|d| ((x[i * dim + d] as f64 - mean[d]) / std[d]) as f32));
            ys.push(y[i]);
        }
        (xs, ys)
    };
    let (train_x, train_y) = gather(&order[..n_train]);
    let (val_x, val_y) = gather(&order[n_train..n_train + n_val]);
    let (test_x, test_y) = gather(&order[n_train + n_val..]);
    let side = (dim as f64).sqrt().round() as usize;
    let task = TaskData {
        name: config.task.clone(),
        dim,
        classes: 1 + *y.iter().max().unwrap_or(&0) as usize,
        train_x,
        train_y,
        val_x,
        val_y,
        test_x,
        test_y,
        image: (side >= 4 && side * side == dim).then_some((side, side)),
    };
    Ok(task)
}
