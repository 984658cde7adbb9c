//! The GPU engine's structure, checked without a GPU: every uniform struct of
//! src/engine/gpu/uniforms.rs has the layout of the WGSL struct it feeds (read with naga,
//! the WGSL front end wgpu compiles the shaders with).
#![cfg(not(target_arch = "wasm32"))]

use infomorph::engine::gpu::shader_module;
use infomorph::engine::gpu::uniforms::layouts;
use naga::proc::Layouter;

/// (member name, byte offset, byte size) of every member of the WGSL struct `name` in
/// the module the engine compiles for `shader`, and the struct's size.
fn wgsl_struct(shader: &str, name: &str) -> (Vec<(String, usize, usize)>, usize) {
    let source = shader_module(shader).unwrap_or_else(|| panic!("no shader {shader}"));
    let module = naga::front::wgsl::parse_str(&source)
        .unwrap_or_else(|e| panic!("{shader}: {}", e.emit_to_string(&source)));
    let mut layouter = Layouter::default();
    layouter.update(module.to_ctx()).expect("layouts");
    let (_, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{shader} declares no struct {name}"));
    let naga::TypeInner::Struct { members, span } = &ty.inner else {
        panic!("{shader}: {name} is not a struct");
    };
    let fields = members
        .iter()
        .map(|m| {
            (
                m.name.clone().unwrap_or_default(),
                m.offset as usize,
                layouter[m.ty].size as usize,
            )
        })
        .collect();
    (fields, *span as usize)
}

/// Each Rust uniform struct: same size as its WGSL struct (a multiple of 16, as a
/// uniform binding needs), the same members in the same order at the same offsets with
/// the same sizes.
#[test]
fn uniform_structs_match_their_wgsl_layouts() {
    let all = layouts();
    assert_eq!(all.len(), 10);
    for l in all {
        let (wgsl, span) = wgsl_struct(l.shader, l.wgsl);
        let what = format!("{} vs {}::{}", l.rust, l.shader, l.wgsl);
        assert_eq!(l.size, span, "{what}: size");
        assert_eq!(l.size % 16, 0, "{what}: size not a multiple of 16");
        let rust: Vec<(String, usize, usize)> = l
            .fields
            .iter()
            .map(|&(n, o, s)| (n.to_string(), o, s))
            .collect();
        assert_eq!(rust, wgsl, "{what}: members (name, offset, size)");
        eprintln!("{what}: {} bytes, {} members", l.size, l.fields.len());
    }
}
