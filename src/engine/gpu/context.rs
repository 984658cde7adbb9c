//! The adapter and device: picked once, with the limits the engine designs for
//! (`Limits::downlevel_defaults()`, raised only where the adapter reports more), a
//! device-loss flag, and the size checks that refuse an oversized network before any
//! allocation, naming the limit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A device ready for the engine's kernels.
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    lost: Arc<AtomicBool>,
    lost_reason: Arc<Mutex<Option<String>>>,
}

/// One buffer or dispatch the engine would need, for the limit check.
#[derive(Clone, Debug)]
pub struct Need {
    pub what: String,
    pub bytes: u64,
}

impl GpuContext {
    /// Picks a high-performance adapter with compute shaders and opens a device. Fails
    /// (so the caller falls back to the CPU engine) when there is none.
    pub async fn new() -> Result<Self, String> {
        if std::env::var_os("INFOMORPH_FORCE_NO_GPU").is_some() {
            return Err("no wgpu adapter (INFOMORPH_FORCE_NO_GPU is set)".into());
        }
        #[cfg(target_arch = "wasm32")]
        let instance = wgpu::util::new_instance_with_webgpu_detection(
            wgpu::InstanceDescriptor::new_without_display_handle_from_env(),
        )
        .await;
        #[cfg(not(target_arch = "wasm32"))]
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("no wgpu adapter: {e}"))?;
        let down = adapter.get_downlevel_capabilities();
        if !down.flags.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS) {
            return Err(format!(
                "the adapter {} has no compute shaders",
                adapter.get_info().name
            ));
        }
        let have = adapter.limits();
        let base = wgpu::Limits::downlevel_defaults();
        if have.max_storage_buffers_per_shader_stage < base.max_storage_buffers_per_shader_stage {
            return Err(format!(
                "the adapter offers {} storage buffers per shader stage, the engine needs {}",
                have.max_storage_buffers_per_shader_stage,
                base.max_storage_buffers_per_shader_stage
            ));
        }
        // Downlevel defaults, with the sizes raised to what the adapter reports.
        let limits = wgpu::Limits {
            max_buffer_size: have.max_buffer_size.max(base.max_buffer_size),
            max_storage_buffer_binding_size: have
                .max_storage_buffer_binding_size
                .max(base.max_storage_buffer_binding_size),
            max_compute_workgroups_per_dimension: have
                .max_compute_workgroups_per_dimension
                .max(base.max_compute_workgroups_per_dimension),
            ..base
        }
        .using_resolution(have.clone());
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("infomorph"),
                required_features: wgpu::Features::empty(),
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| format!("cannot open a device on {}: {e}", adapter.get_info().name))?;
        let lost = Arc::new(AtomicBool::new(false));
        let lost_reason = Arc::new(Mutex::new(None));
        {
            let (lost, reason) = (lost.clone(), lost_reason.clone());
            device.set_device_lost_callback(move |why, message| {
                lost.store(true, Ordering::SeqCst);
                if let Ok(mut r) = reason.lock() {
                    *r = Some(format!("{why:?}: {message}"));
                }
            });
        }
        {
            // A validation or out-of-memory error leaves the results undefined: the engine
            // treats it like a lost device (the run continues on the CPU) and says why.
            let (lost, reason) = (lost.clone(), lost_reason.clone());
            device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                lost.store(true, Ordering::SeqCst);
                if let Ok(mut r) = reason.lock() {
                    r.get_or_insert_with(|| format!("GPU error: {e}"));
                }
            }));
        }
        Ok(GpuContext {
            device,
            queue,
            info: adapter.get_info(),
            limits,
            lost,
            lost_reason,
        })
    }

    /// "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, Cpu)".
    pub fn adapter_description(&self) -> String {
        // Browsers often leave the name empty; fall back to what else they report.
        let i = &self.info;
        let name = [&i.name, &i.driver_info, &i.driver]
            .into_iter()
            .find(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("adapter {:04x}:{:04x}", i.vendor, i.device));
        format!("{name} ({:?}, {:?})", i.backend, i.device_type)
    }

    /// Whether the adapter runs its kernels on the CPU (llvmpipe, lavapipe, SwiftShader,
    /// WARP, a browser's fallback adapter): see [`AdapterKind::of`].
    pub fn is_software(&self) -> bool {
        self.adapter_kind() == AdapterKind::Software
    }

    /// What kind of device the adapter is.
    pub fn adapter_kind(&self) -> AdapterKind {
        AdapterKind::of(&self.info)
    }

    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    pub fn lost_reason(&self) -> Option<String> {
        self.lost_reason.lock().ok().and_then(|r| r.clone())
    }

    /// Marks the device lost (and destroys it): the engine's device-loss simulation.
    pub fn simulate_loss(&self) {
        if let Ok(mut r) = self.lost_reason.lock() {
            r.get_or_insert_with(|| "simulated device loss".into());
        }
        self.lost.store(true, Ordering::SeqCst);
        self.device.destroy();
    }

    /// Refuses buffers larger than the device allows, naming the limit.
    pub fn check(&self, needs: &[Need]) -> Result<(), String> {
        check_limits(&self.limits, needs)
    }
}

/// What kind of device an adapter is, for choosing an engine: a software adapter is
/// never preferred over the CPU engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdapterKind {
    /// A GPU of its own.
    Discrete,
    /// A GPU sharing memory with the CPU.
    Integrated,
    /// A virtual machine's GPU.
    Virtual,
    /// Kernels run on the CPU: Mesa's llvmpipe/lavapipe/softpipe, SwiftShader, WARP, or
    /// a browser's fallback adapter.
    Software,
    /// Anything else; browsers report every hardware adapter as this (WebGPU does not
    /// say which kind of GPU it is).
    Other,
}

/// Adapter names of software rasterisers (lowercase substrings), for drivers that do not
/// report `DeviceType::Cpu`.
const SOFTWARE_NAMES: [&str; 5] = [
    "llvmpipe",
    "lavapipe",
    "softpipe",
    "swiftshader",
    "microsoft basic render driver",
];

impl AdapterKind {
    /// The kind of an adapter from what wgpu reports. `DeviceType::Cpu` is software;
    /// in a browser wgpu reports `DeviceType::Cpu` exactly when the adapter's
    /// `GPUAdapterInfo.isFallbackAdapter` is true (wgpu 30, backend/webgpu.rs), which is
    /// how Chromium marks SwiftShader. A software rasteriser's name (or driver string)
    /// also counts, whatever type the driver reports.
    pub fn of(info: &wgpu::AdapterInfo) -> Self {
        let named_software = [&info.name, &info.driver, &info.driver_info]
            .iter()
            .any(|s| {
                let s = s.to_lowercase();
                SOFTWARE_NAMES.iter().any(|n| s.contains(n))
            });
        if named_software {
            return AdapterKind::Software;
        }
        match info.device_type {
            wgpu::DeviceType::Cpu => AdapterKind::Software,
            wgpu::DeviceType::DiscreteGpu => AdapterKind::Discrete,
            wgpu::DeviceType::IntegratedGpu => AdapterKind::Integrated,
            wgpu::DeviceType::VirtualGpu => AdapterKind::Virtual,
            wgpu::DeviceType::Other => AdapterKind::Other,
        }
    }

    /// "discrete", "integrated", "virtual", "software", "other".
    pub fn name(self) -> &'static str {
        match self {
            AdapterKind::Discrete => "discrete",
            AdapterKind::Integrated => "integrated",
            AdapterKind::Virtual => "virtual",
            AdapterKind::Software => "software",
            AdapterKind::Other => "other",
        }
    }
}

/// The size check of [`GpuContext::check`], on given limits.
pub fn check_limits(limits: &wgpu::Limits, needs: &[Need]) -> Result<(), String> {
    for need in needs {
        if need.bytes > limits.max_storage_buffer_binding_size {
            return Err(format!(
                "{} needs a {:.1} MB storage buffer, more than the adapter's \
                 max_storage_buffer_binding_size ({:.1} MB)",
                need.what,
                need.bytes as f64 / 1e6,
                limits.max_storage_buffer_binding_size as f64 / 1e6
            ));
        }
        if need.bytes > limits.max_buffer_size {
            return Err(format!(
                "{} needs a {:.1} MB buffer, more than the adapter's max_buffer_size ({:.1} MB)",
                need.what,
                need.bytes as f64 / 1e6,
                limits.max_buffer_size as f64 / 1e6
            ));
        }
    }
    Ok(())
}

/// Mesa's Vulkan drivers print a warning to stderr when XDG_RUNTIME_DIR is unset; wgpu
/// does not need the directory, so point it at one fixed private folder per user (made
/// once, reused by every run). Call at start-up, before other threads exist.
#[cfg(not(target_arch = "wasm32"))]
pub fn quiet_mesa_runtime_dir() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return;
    }
    let user = std::env::var("USER").unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("infomorph-xdg-{user}"));
    if std::fs::create_dir_all(&dir).is_ok() {
        std::env::set_var("XDG_RUNTIME_DIR", &dir);
    }
}
