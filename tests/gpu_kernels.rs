//! The GPU engine's structure, checked without a GPU: every uniform struct of
//! src/engine/gpu/uniforms.rs has the layout of the WGSL struct it feeds (read with naga,
//! the WGSL front end wgpu compiles the shaders with), and the shader ↔ CPU twin ↔ test
//! table of src/engine/gpu/twins.rs names what exists.
#![cfg(not(target_arch = "wasm32"))]

use infomorph::engine::gpu::shader_module;
use infomorph::engine::gpu::twins::TWINS;
use infomorph::engine::gpu::uniforms::layouts;
use naga::proc::Layouter;
use std::path::Path;

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

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The header comment of a shader (its leading `//` lines), as one line of words.
fn header(text: &str) -> String {
    text.lines()
        .take_while(|l| l.starts_with("//"))
        .map(|l| l.trim_start_matches('/').trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every shader file has one row; the file exists and is what the engine compiles; each
/// CPU twin exists (`fn`, or `struct` for a type, inside `impl Type` when a type is
/// named) and the shader's header names it (its last two segments); each test exists
/// as a `#[test]` function in its file.
#[test]
fn every_shader_names_its_cpu_twin_and_test() {
    let mut on_disk: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".wgsl"))
            .collect();
    on_disk.sort();
    let mut in_table: Vec<String> = TWINS.iter().map(|t| t.shader.to_string()).collect();
    in_table.sort();
    assert_eq!(in_table, on_disk, "one row per shader file");
    for t in TWINS {
        let text = read(&format!("shaders/{}", t.shader));
        let module = shader_module(t.shader).unwrap_or_else(|| panic!("{} not compiled", t.shader));
        assert!(
            module.contains(&text),
            "{}: the engine compiles another text",
            t.shader
        );
        let head = header(&text);
        for cpu in t.cpu {
            let (file, path) = cpu.split_once("::").expect("src/file.rs::item");
            let source = read(file);
            let segments: Vec<&str> = path.split("::").collect();
            let item = *segments.last().unwrap();
            assert!(
                source.contains(&format!("fn {item}("))
                    || source.contains(&format!("fn {item}<"))
                    || source.contains(&format!("struct {item} "))
                    || source.contains(&format!("struct {item}<")),
                "{cpu}: no fn or struct {item} in {file}"
            );
            if let [ty, _] = segments[..] {
                assert!(
                    source.contains(&format!("impl {ty} "))
                        || source.contains(&format!("for {ty} ")),
                    "{cpu}: no impl of {ty} in {file}"
                );
            }
            let named = segments[segments.len().saturating_sub(2)..].join("::");
            assert!(
                head.contains(&named),
                "{}: the header comment does not name its CPU twin {named}",
                t.shader
            );
        }
        let (file, name) = t.test.split_once("::").expect("tests/file.rs::test");
        let source = read(file);
        let at = source
            .find(&format!("fn {name}("))
            .unwrap_or_else(|| panic!("{}: no test {name} in {file}", t.shader));
        let before = &source[..at];
        let attr = before.rfind("#[").map(|i| &before[i..]).unwrap_or("");
        assert!(
            attr.starts_with("#[test]") || attr.starts_with("#[wasm_bindgen_test]"),
            "{}: {name} in {file} is not a test",
            t.shader
        );
    }
}
