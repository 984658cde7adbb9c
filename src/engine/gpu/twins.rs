//! Every shader and its CPU twin in one table: the shader file under `shaders/`, the
//! CPU functions it computes the same as (the production CPU engine, not a test copy),
//! and the test that runs that shader alone on small inputs and compares it with them.
//! tests/gpu_kernels.rs checks that every shader of the engine has a row, that each
//! named file, function and test exists, and that each shader's header comment names
//! its CPU twin.

/// One shader, its CPU twin and the test that compares them.
#[derive(Clone, Copy, Debug)]
pub struct Twin {
    /// File under `shaders/`.
    pub shader: &'static str,
    /// CPU functions as `src/file.rs::Type::function` (or `src/file.rs::function`);
    /// the shader's header comment names each by its last one or two segments.
    pub cpu: &'static [&'static str],
    /// The kernel-level test, as `tests/file.rs::test_name`.
    pub test: &'static str,
}

pub const TWINS: &[Twin] = &[
    Twin {
        shader: "common.wgsl",
        cpu: &[
            "src/rng.rs::hash32",
            "src/rng.rs::counter_row_key",
            "src/rng.rs::counter_uniform_in_row",
            "src/network/layer.rs::exp",
            "src/network/layer.rs::sigmoid",
        ],
        test: "tests/gpu_engine.rs::activation_and_sampling_match_cpu",
    },
    Twin {
        shader: "gather.wgsl",
        cpu: &[
            "src/network/run.rs::CpuBackend::train",
            "src/network/model.rs::one_hot",
            "src/network/model.rs::Network::predict_theta_at",
        ],
        test: "tests/gpu_engine.rs::gather_matches_cpu",
    },
    Twin {
        shader: "aggregate.wgsl",
        cpu: &[
            "src/network/layer.rs::Layer::aggregates",
            "src/network/layer.rs::Layer::bias_aggregate",
        ],
        test: "tests/gpu_engine.rs::aggregate_matches_cpu",
    },
    Twin {
        shader: "activation_sample.wgsl",
        cpu: &[
            "src/network/layer.rs::Layer::forward_from",
            "src/network/layer.rs::sample",
        ],
        test: "tests/gpu_engine.rs::activation_and_sampling_match_cpu",
    },
    Twin {
        shader: "binning.wgsl",
        cpu: &["src/network/layer.rs::Layer::bin_and_theta"],
        test: "tests/gpu_engine.rs::binning_matches_cpu",
    },
    Twin {
        shader: "activation_grad.wgsl",
        cpu: &[
            "src/network/layer.rs::Layer::learn",
            "src/network/layer.rs::Layer::activation_gradients",
        ],
        test: "tests/gpu_engine.rs::activation_gradient_matches_cpu",
    },
    Twin {
        shader: "weight_grad.wgsl",
        cpu: &["src/network/layer.rs::Layer::learn"],
        test: "tests/gpu_engine.rs::weight_gradient_matches_cpu",
    },
    Twin {
        shader: "adam.wgsl",
        cpu: &[
            "src/network/adam.rs::Adam::step",
            "src/network/layer.rs::Source::mask_gradient",
        ],
        test: "tests/gpu_engine.rs::adam_matches_cpu",
    },
    Twin {
        shader: "metrics.wgsl",
        cpu: &[
            "src/network/run.rs::TermSums",
            "src/network/accuracy.rs::score",
        ],
        test: "tests/gpu_engine.rs::metrics_match_cpu",
    },
    Twin {
        shader: "pid_common.wgsl",
        cpu: &["src/pid/isx.rs::Isx::goal_from_samples"],
        test: "tests/gpu_pid.rs::three_sources_sparse",
    },
    Twin {
        shader: "pid_states.wgsl",
        cpu: &["src/pid/isx.rs::Isx::goal_from_samples"],
        test: "tests/gpu_pid.rs::three_sources_sparse",
    },
    Twin {
        shader: "pid_isx.wgsl",
        cpu: &["src/pid/isx.rs::Isx::goal_from_samples"],
        test: "tests/gpu_pid.rs::three_sources_sparse",
    },
    Twin {
        shader: "pid_gradient.wgsl",
        cpu: &["src/pid/isx.rs::Isx::goal_from_samples"],
        test: "tests/gpu_pid.rs::two_sources_sparse",
    },
    Twin {
        shader: "pid_dtheta.wgsl",
        cpu: &["src/pid/isx.rs::Isx::goal_from_samples"],
        test: "tests/gpu_pid.rs::two_sources_sparse",
    },
];
