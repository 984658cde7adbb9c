//! The engine choice never makes a run slower: `auto` skips software adapters (here
//! Mesa's lavapipe), and on a hardware adapter it measures both engines on the
//! configuration and keeps the faster; `gpu` still forces the GPU.

use infomorph::engine::gpu::GpuContext;
use infomorph::engine::{choice, Engine, EngineKind, EnginePreference, NoticeKind, Rates};
use infomorph::network::model::{ModelKind, Network, RunConfig};
use infomorph::tasks::mnist::mnist10k;
use std::sync::Arc;

fn context() -> Option<GpuContext> {
    infomorph::engine::gpu::context::quiet_mesa_runtime_dir();
    match pollster::block_on(GpuContext::new()) {
        Ok(ctx) => Some(ctx),
        Err(e) => {
            if std::env::var("INFOMORPH_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!("INFOMORPH_REQUIRE_GPU=1 but there is no usable wgpu adapter: {e}");
            }
            eprintln!("SKIPPED: no wgpu adapter ({e})");
            None
        }
    }
}

fn config() -> RunConfig {
    RunConfig {
        model: ModelKind::Trivariate,
        hidden: 16,
        batch: 256,
        epochs: 1,
        ..RunConfig::default()
    }
}

#[test]
fn auto_skips_a_software_adapter_and_gpu_forces_it() {
    let Some(ctx) = context() else { return };
    assert!(
        ctx.is_software(),
        "the test machines have software adapters only: {}",
        ctx.adapter_description()
    );
    let task = Arc::new(mnist10k(0));
    let net = Network::new(&config(), task.dim, task.classes).unwrap();
    let e = Engine::choose(
        net.clone(),
        task.clone(),
        EnginePreference::Auto,
        Some(Ok(ctx)),
    )
    .unwrap();
    assert_eq!(e.kind(), EngineKind::Cpu);
    let n = &e.notices()[0];
    assert_eq!(n.kind, NoticeKind::Fallback);
    assert!(n.text.contains("software adapter"), "{}", n.text);
    // The full path (adapter request included) agrees.
    let e = pollster::block_on(Engine::from_network(
        net.clone(),
        task.clone(),
        EnginePreference::Auto,
    ))
    .unwrap();
    assert_eq!(e.kind(), EngineKind::Cpu);
    let forced = pollster::block_on(Engine::from_network(net, task, EnginePreference::Gpu));
    assert_eq!(forced.unwrap().kind(), EngineKind::Gpu);
}

/// Both engines measured on copies (the network takes no step), and the faster runs:
/// the decision given the measured rates, and given rates either way.
#[test]
fn measured_rates_choose_the_faster_engine() {
    let Some(ctx) = context() else { return };
    let task = Arc::new(mnist10k(0));
    let net = Network::new(&config(), task.dim, task.classes).unwrap();
    let rates = pollster::block_on(choice::rates(&net, &task)).unwrap();
    eprintln!(
        "lavapipe: GPU {:.1} steps/s, CPU {:.1} steps/s",
        rates.gpu, rates.cpu
    );
    assert!(rates.cpu > 0.0 && rates.gpu > 0.0 && rates.cpu.is_finite());
    assert_eq!(net.steps(), 0);
    // Remembered for the shape: the same rates again, without measuring.
    assert_eq!(
        pollster::block_on(choice::rates(&net, &task)).unwrap(),
        rates
    );
    let pick = |r: Rates, ctx| {
        Engine::choose_measured(
            net.clone(),
            task.clone(),
            EnginePreference::Auto,
            Some(Ok(ctx)),
            Some(r),
        )
        .unwrap()
    };
    let e = pick(rates, ctx);
    assert_eq!(e.kind(), rates.faster());
    let text = &e.notices()[0].text;
    assert!(
        text.contains("steps/s on the GPU engine") && text.contains("on the CPU engine"),
        "{text}"
    );
    let gpu_faster = Rates {
        cpu: 1.0,
        gpu: 100.0,
    };
    let e = pick(gpu_faster, context().unwrap());
    assert_eq!(e.kind(), EngineKind::Gpu);
    assert!(e.notices()[0]
        .text
        .contains("100.0 steps/s on the GPU engine"));
    let cpu_faster = Rates {
        cpu: 100.0,
        gpu: 1.0,
    };
    let e = pick(cpu_faster, context().unwrap());
    assert_eq!(e.kind(), EngineKind::Cpu);
    assert!(e.notices()[0]
        .text
        .starts_with("CPU engine: faster than the GPU engine"));
}
