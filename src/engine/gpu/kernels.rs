//! The compute pipelines of the engine, one per WGSL stage in `shaders/`, each with an
//! explicit bind-group layout (so the layouts never depend on what a shader happens to
//! use). Every stage binds at most 4 storage buffers (`Limits::downlevel_defaults`).

use std::borrow::Cow;

const COMMON: &str = include_str!("../../../shaders/common.wgsl");
const PID_COMMON: &str = include_str!("../../../shaders/pid_common.wgsl");

/// Every shader file under `shaders/` with its text, as compiled into the engine.
pub(crate) const SHADERS: [(&str, &str); 14] = [
    ("common.wgsl", COMMON),
    ("gather.wgsl", include_str!("../../../shaders/gather.wgsl")),
    (
        "aggregate.wgsl",
        include_str!("../../../shaders/aggregate.wgsl"),
    ),
    (
        "activation_sample.wgsl",
        include_str!("../../../shaders/activation_sample.wgsl"),
    ),
    (
        "binning.wgsl",
        include_str!("../../../shaders/binning.wgsl"),
    ),
    (
        "activation_grad.wgsl",
        include_str!("../../../shaders/activation_grad.wgsl"),
    ),
    (
        "weight_grad.wgsl",
        include_str!("../../../shaders/weight_grad.wgsl"),
    ),
    ("adam.wgsl", include_str!("../../../shaders/adam.wgsl")),
    (
        "metrics.wgsl",
        include_str!("../../../shaders/metrics.wgsl"),
    ),
    ("pid_common.wgsl", PID_COMMON),
    (
        "pid_states.wgsl",
        include_str!("../../../shaders/pid_states.wgsl"),
    ),
    (
        "pid_isx.wgsl",
        include_str!("../../../shaders/pid_isx.wgsl"),
    ),
    (
        "pid_gradient.wgsl",
        include_str!("../../../shaders/pid_gradient.wgsl"),
    ),
    (
        "pid_dtheta.wgsl",
        include_str!("../../../shaders/pid_dtheta.wgsl"),
    ),
];

/// The text of a shader file (`"gather.wgsl"`) as compiled into the engine.
pub(crate) fn shader_text(file: &str) -> &'static str {
    SHADERS
        .iter()
        .find(|s| s.0 == file)
        .unwrap_or_else(|| panic!("no shader {file}"))
        .1
}

/// The complete WGSL module the engine compiles for a shader file: the file after its
/// shared prelude (common.wgsl, or pid_common.wgsl for the PID stages); the preludes
/// alone for themselves. None for a file that is not a shader of the engine.
pub fn shader_module(file: &str) -> Option<String> {
    let text = SHADERS.iter().find(|s| s.0 == file)?.1;
    Some(match file {
        "common.wgsl" | "pid_common.wgsl" => text.to_string(),
        f if f.starts_with("pid_") => format!("{PID_COMMON}\n{text}"),
        _ => format!("{COMMON}\n{text}"),
    })
}

/// What a binding slot holds.
#[derive(Clone, Copy)]
pub(crate) enum Slot {
    Uniform,
    Read,
    Write,
}

#[derive(Clone)]
pub(crate) struct Kernel {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
    /// Binding numbers, in the order the slots were given.
    pub bindings: Vec<u32>,
}

fn kernel(
    device: &wgpu::Device,
    name: &str,
    source: &str,
    entry: &str,
    slots: &[(u32, Slot)],
) -> Kernel {
    pipeline(device, name, format!("{COMMON}\n{source}"), entry, slots)
}

/// A compute pipeline for complete WGSL `code` with an explicit bind-group layout.
pub(crate) fn pipeline(
    device: &wgpu::Device,
    name: &str,
    code: String,
    entry: &str,
    slots: &[(u32, Slot)],
) -> Kernel {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(name),
        source: wgpu::ShaderSource::Wgsl(Cow::Owned(code)),
    });
    let entries: Vec<wgpu::BindGroupLayoutEntry> = slots
        .iter()
        .map(|&(binding, slot)| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: match slot {
                    Slot::Uniform => wgpu::BufferBindingType::Uniform,
                    Slot::Read => wgpu::BufferBindingType::Storage { read_only: true },
                    Slot::Write => wgpu::BufferBindingType::Storage { read_only: false },
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        })
        .collect();
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(name),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(name),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(name),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    });
    Kernel {
        pipeline,
        layout,
        bindings: slots.iter().map(|s| s.0).collect(),
    }
}

/// All stages except the PID ones (those live in the PID kernel).
pub(crate) struct Kernels {
    pub gather: Kernel,
    pub aggregate: Kernel,
    pub activation_sample: Kernel,
    pub activation_theta: Kernel,
    pub binning: Kernel,
    pub activation_grad: Kernel,
    pub weight_grad: Kernel,
    pub bias_grad: Kernel,
    pub adam: Kernel,
    pub accumulate: Kernel,
    pub count: Kernel,
    /// Matrix products without workgroup memory (CPU adapters) instead of 16 × 16 tiles.
    pub direct: bool,
}

/// Whether to use the barrier-free matrix products: on CPU adapters (llvmpipe,
/// SwiftShader), where barriers are expensive; `INFOMORPH_GPU_MATMUL=tiled|direct`
/// overrides.
pub(crate) fn prefer_direct(info: &wgpu::AdapterInfo) -> bool {
    match std::env::var("INFOMORPH_GPU_MATMUL").as_deref() {
        Ok("tiled") => false,
        Ok("direct") => true,
        _ => info.device_type == wgpu::DeviceType::Cpu,
    }
}

impl Kernels {
    /// Workgroups of an aggregate dispatch (m samples × n neurons).
    pub fn aggregate_size(&self, m: usize, n: usize, max: u32) -> [u32; 3] {
        if self.direct {
            grid(m.div_ceil(4) * n.div_ceil(4), max)
        } else {
            [n.div_ceil(16) as u32, m.div_ceil(16) as u32, 1]
        }
    }

    /// Workgroups of a weight-gradient dispatch (n neurons × dim).
    pub fn weight_grad_size(&self, n: usize, dim: usize, max: u32) -> [u32; 3] {
        if self.direct {
            grid(n.div_ceil(4) * dim.div_ceil(4), max)
        } else {
            [dim.div_ceil(16) as u32, n.div_ceil(16) as u32, 1]
        }
    }

    pub fn new(device: &wgpu::Device, direct: bool) -> Self {
        use Slot::*;
        let gather = shader_text("gather.wgsl");
        let aggregate = shader_text("aggregate.wgsl");
        let act = shader_text("activation_sample.wgsl");
        let binning = shader_text("binning.wgsl");
        let grad = shader_text("activation_grad.wgsl");
        let wgrad = shader_text("weight_grad.wgsl");
        let adam = shader_text("adam.wgsl");
        let metrics = shader_text("metrics.wgsl");
        let su = |n: u32| (n, Uniform);
        Kernels {
            gather: kernel(
                device,
                "gather",
                gather,
                "gather",
                &[su(0), su(1), (2, Read), (3, Read), (4, Write), (5, Write)],
            ),
            aggregate: kernel(
                device,
                "aggregate",
                aggregate,
                if direct {
                    "aggregate_direct"
                } else {
                    "aggregate"
                },
                &[su(0), (1, Read), (2, Read), (3, Write)],
            ),
            activation_sample: kernel(
                device,
                "activation_sample",
                act,
                "activation_sample",
                &[su(0), su(1), (2, Read), (3, Write), (4, Write), (5, Write)],
            ),
            activation_theta: kernel(
                device,
                "activation_theta",
                act,
                "activation_theta",
                &[su(0), (2, Read), (3, Write), (5, Write)],
            ),
            binning: kernel(
                device,
                "binning",
                binning,
                "binning",
                &[su(0), (1, Read), (2, Write)],
            ),
            activation_grad: kernel(
                device,
                "activation_grad",
                grad,
                "activation_grad",
                &[su(0), (1, Read), (2, Read), (3, Read), (4, Write)],
            ),
            weight_grad: kernel(
                device,
                "weight_grad",
                wgrad,
                if direct {
                    "weight_grad_direct"
                } else {
                    "weight_grad"
                },
                &[su(0), (1, Read), (2, Read), (3, Write)],
            ),
            bias_grad: kernel(
                device,
                "bias_grad",
                wgrad,
                "bias_grad",
                &[su(0), (1, Read), (3, Write)],
            ),
            adam: kernel(
                device,
                "adam",
                adam,
                "adam",
                &[su(0), su(1), (2, Write), (3, Read), (4, Write), (5, Read)],
            ),
            accumulate: kernel(
                device,
                "accumulate",
                metrics,
                "accumulate",
                &[su(0), (1, Read), (3, Write)],
            ),
            count: kernel(
                device,
                "count",
                metrics,
                "count",
                &[su(0), (1, Read), (2, Read), (4, Write)],
            ),
            direct,
        }
    }
}

/// Workgroups for a 1-D job of `n` threads in groups of 64, as a 2-D grid when one
/// dimension would exceed `max` groups (the shaders rebuild the flat index).
pub(crate) fn grid(n: usize, max: u32) -> [u32; 3] {
    let groups = n.div_ceil(64).max(1) as u64;
    let max = max.max(1) as u64;
    if groups <= max {
        [groups as u32, 1, 1]
    } else {
        [max as u32, groups.div_ceil(max) as u32, 1]
    }
}
