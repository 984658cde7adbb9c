//! The GPU PID stages in the browser (WebGPU through Tint, which checks WGSL more
//! strictly than naga): published gates and a sparse layer against the CPU twin. Run
//! with `cargo test --target wasm32-unknown-unknown --no-default-features --test
//! gpu_pid_web` (headless Chromium, see scripts/test.sh). Without a WebGPU adapter it
//! logs "SKIPPED: no WebGPU adapter", or fails when built with INFOMORPH_REQUIRE_GPU=1 (as scripts/test.sh
//! does). On native targets this file is empty.
#![cfg(target_arch = "wasm32")]

use infomorph::engine::gpu::pid::PidKernel;
use infomorph::goals::GoalFamily;
use infomorph::pid::{Digits, Isx, JointShape, NeuronBatch};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen_test::*;
use wgpu::util::DeviceExt;

/// The paper's goals (method §5), from the presets the engine uses.
fn goal(family: GoalFamily, name: &str) -> Vec<f64> {
    infomorph::goals::preset(family, name).expect("preset")
}
fn gamma2() -> Vec<f64> {
    goal(GoalFamily::Context, "optimized")
}
fn gamma3() -> Vec<f64> {
    goal(GoalFamily::Trivariate, "optimized")
}

wasm_bindgen_test_configure!(run_in_browser);

/// Resolves when `map_async`'s callback has run (the browser decides when).
#[derive(Default)]
struct Mapped(Rc<RefCell<(bool, Option<Waker>)>>);

impl Future for Mapped {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.borrow_mut();
        if state.0 {
            Poll::Ready(())
        } else {
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

async fn device() -> Option<(wgpu::Device, wgpu::Queue)> {
    let instance = wgpu::util::new_instance_with_webgpu_detection(
        wgpu::InstanceDescriptor::new_without_display_handle(),
    )
    .await;
    let Ok(adapter) = instance.request_adapter(&Default::default()).await else {
        // scripts/test.sh builds with INFOMORPH_REQUIRE_GPU=1: there, no adapter is a failure.
        if option_env!("INFOMORPH_REQUIRE_GPU") == Some("1") {
            panic!("INFOMORPH_REQUIRE_GPU=1 but the browser offers no WebGPU adapter");
        }
        console_log!("SKIPPED: no WebGPU adapter");
        return None;
    };
    console_log!("WebGPU adapter: {:?}", adapter.get_info());
    let pair = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("gpu_pid_web"),
            required_limits: wgpu::Limits::downlevel_defaults(),
            ..Default::default()
        })
        .await
        .expect("a device with downlevel_defaults limits");
    Some(pair)
}

async fn read(device: &wgpu::Device, queue: &wgpu::Queue, buffer: &wgpu::Buffer) -> Vec<f32> {
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: buffer.size(),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, buffer.size());
    queue.submit([encoder.finish()]);
    let done = Mapped::default();
    let state = done.0.clone();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        r.expect("map");
        let mut s = state.borrow_mut();
        s.0 = true;
        if let Some(w) = s.1.take() {
            w.wake();
        }
    });
    done.await;
    let data = bytemuck::cast_slice(&staging.slice(..).get_mapped_range().unwrap()).to_vec();
    data
}

/// GPU terms and dtheta, and the CPU twin's, for packed bins and θ.
async fn both(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    (sources, bins, neurons): (usize, usize, usize),
    keys: &[u32],
    theta: &[f32],
    gamma: &[f64],
) -> ((Vec<f32>, Vec<f32>), (Vec<f64>, Vec<f64>)) {
    let batch = keys.len() / neurons;
    let kernel = PidKernel::new(device, sources, neurons, batch, bins, gamma).unwrap();
    let init = |label, bytes: &[u8]| {
        device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        })
    };
    let b = init("bins", bytemuck::cast_slice(keys));
    let t = init("theta", bytemuck::cast_slice(theta));
    let d = init("dtheta", &vec![0u8; keys.len() * 4]);
    let terms = init("terms", &vec![0u8; neurons * kernel.term_count() * 4]);
    let bindings = kernel.bind(device, &b, &t, &d, &terms);
    let mut encoder = device.create_command_encoder(&Default::default());
    kernel.record(&mut encoder, &bindings);
    queue.submit([encoder.finish()]);
    let gpu = (
        read(device, queue, &terms).await,
        read(device, queue, &d).await,
    );

    let isx = Isx::new(JointShape::new(&vec![bins; sources], 2).unwrap());
    let goal = isx.goal_weights(gamma).unwrap();
    let digits: Vec<Digits> = keys
        .iter()
        .map(|&k| {
            let mut d = [0u16; 4];
            for (i, x) in d.iter_mut().enumerate().take(sources) {
                *x = ((k >> (8 * i)) & 0xff) as u16;
            }
            d
        })
        .collect();
    let th: Vec<f64> = theta.iter().map(|&x| x as f64).collect();
    let mut cpu_terms = vec![0.0; neurons * kernel.term_count()];
    let mut cpu_dtheta = vec![0.0; keys.len()];
    NeuronBatch::new(isx).goal_from_samples(&digits, &th, &goal, &mut cpu_terms, &mut cpu_dtheta);
    (gpu, (cpu_terms, cpu_dtheta))
}

fn check(what: &str, gpu: &(Vec<f32>, Vec<f32>), cpu: &(Vec<f64>, Vec<f64>)) {
    let terms = gpu
        .0
        .iter()
        .zip(&cpu.0)
        .map(|(g, c)| (*g as f64 - c).abs())
        .fold(0.0, f64::max);
    let scale = cpu.1.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let dtheta = gpu
        .1
        .iter()
        .zip(&cpu.1)
        .map(|(g, c)| (*g as f64 - c).abs())
        .fold(0.0, f64::max);
    console_log!("{what}: max |Δterms| = {terms:.2e}, max |Δdθ| = {dtheta:.2e} of {scale:.2e}");
    assert!(terms <= 1e-4, "{what}: terms differ by {terms}");
    assert!(dtheta <= 1e-3 * scale, "{what}: dθ differs by {dtheta}");
}

#[wasm_bindgen_test]
async fn xor_matches_the_published_values_and_the_cpu() {
    let Some((device, queue)) = device().await else {
        return;
    };
    let keys: Vec<u32> = (0..400).map(|i| (i % 4 / 2) | ((i % 2) << 8)).collect();
    let theta: Vec<f32> = (0..400).map(|i| ((i % 4 / 2) ^ (i % 2)) as f32).collect();
    let (gpu, cpu) = both(&device, &queue, (2, 2, 1), &keys, &theta, &gamma2()).await;
    check("XOR", &gpu, &cpu);
    let l = f64::log2;
    let want = [l(1.5), l(1.5), l(2.0 / 3.0), l(4.0 / 3.0), 0.0];
    for (g, w) in gpu.0.iter().zip(want) {
        assert!((*g as f64 - w).abs() < 1e-4, "XOR: {:?}", gpu.0);
    }
}

#[wasm_bindgen_test]
async fn sparse_trivariate_layer_matches_the_cpu() {
    let Some((device, queue)) = device().await else {
        return;
    };
    // A small LCG: 20 neurons × 1000 samples over ~25 states each.
    let mut x = 12345u64;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as u32
    };
    let (neurons, batch) = (20, 1000);
    let mut keys = Vec::new();
    let mut theta = Vec::new();
    for _ in 0..neurons {
        let pool: Vec<u32> = (0..25)
            .map(|_| (next() % 20) | ((next() % 20) << 8) | ((next() % 20) << 16))
            .collect();
        let bias: Vec<f32> = (0..25)
            .map(|_| (next() % 800) as f32 / 100.0 - 4.0)
            .collect();
        for _ in 0..batch {
            let k = (next() % 25) as usize;
            keys.push(pool[k]);
            let a = bias[k] + (next() % 200) as f32 / 100.0 - 1.0;
            theta.push((1.0 / (1.0 + (-a).exp())).clamp(1e-6, 1.0 - 1e-6));
        }
    }
    let (gpu, cpu) = both(&device, &queue, (3, 20, neurons), &keys, &theta, &gamma3()).await;
    check("3 sources, 20 × 1000", &gpu, &cpu);
}
