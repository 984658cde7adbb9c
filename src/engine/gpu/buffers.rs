//! Buffer helpers of the GPU engine: storage, staging and uniform buffers, bind groups
//! from a kernel's slots, and the browser-safe readback future.

use super::context::GpuContext;
use super::kernels::Kernel;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use wgpu::util::DeviceExt;

/// A storage buffer of `bytes` (at least 16), copyable both ways.
pub(crate) fn storage(device: &wgpu::Device, label: &str, bytes: usize) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (bytes.max(16) as u64).next_multiple_of(4),
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// A storage buffer holding `data` (padded to 16 bytes).
pub(crate) fn storage_init(device: &wgpu::Device, label: &str, data: &[u8]) -> wgpu::Buffer {
    if data.len() < 16 {
        let mut padded = data.to_vec();
        padded.resize(16, 0);
        return storage_init(device, label, &padded);
    }
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: data,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
    })
}

/// A buffer to map and read back `bytes` from.
pub(crate) fn staging(device: &wgpu::Device, label: &str, bytes: usize) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (bytes.max(16) as u64).next_multiple_of(4),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// A uniform buffer holding one parameter struct (see [`super::uniforms`]).
pub(crate) fn uniform<T: bytemuck::Pod>(device: &wgpu::Device, value: &T) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("params"),
        contents: bytemuck::bytes_of(value),
        usage: wgpu::BufferUsages::UNIFORM,
    })
}

/// A bind group of a kernel: `buffers` in the order of its slots.
pub(crate) fn group(
    device: &wgpu::Device,
    k: &Kernel,
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    assert_eq!(k.bindings.len(), buffers.len(), "bindings of a kernel");
    let entries: Vec<wgpu::BindGroupEntry> = k
        .bindings
        .iter()
        .zip(buffers)
        .map(|(&binding, b)| wgpu::BindGroupEntry {
            binding,
            resource: b.as_entire_binding(),
        })
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &k.layout,
        entries: &entries,
    })
}

/// A one-shot future for `map_async`: ready when wgpu calls back (after `device.poll`
/// natively, when the browser resolves the mapping on the web).
struct MapFuture {
    state: Arc<Mutex<MapState>>,
}

/// The mapping's outcome once known, and who to wake.
type MapState = (Option<Result<(), String>>, Option<Waker>);

impl Future for MapFuture {
    type Output = Result<(), String>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.state.lock().expect("map state");
        match s.0.take() {
            Some(r) => Poll::Ready(r),
            None => {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Maps a staging buffer and copies its bytes out, without blocking a browser thread.
pub(crate) async fn read_staging(
    ctx: &GpuContext,
    buffer: &wgpu::Buffer,
    bytes: usize,
) -> Result<Vec<u8>, String> {
    let state: Arc<Mutex<MapState>> = Arc::new(Mutex::new((None, None)));
    let s2 = state.clone();
    let slice = buffer.slice(..(bytes as u64).next_multiple_of(4).max(4));
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let mut s = s2.lock().expect("map state");
        s.0 = Some(r.map_err(|e| format!("GPU readback failed: {e}")));
        if let Some(w) = s.1.take() {
            w.wake();
        }
    });
    #[cfg(not(target_arch = "wasm32"))]
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| format!("GPU readback failed: {e}"))?;
    #[cfg(target_arch = "wasm32")]
    let _ = ctx;
    MapFuture { state }.await?;
    let out = {
        let view = slice
            .get_mapped_range()
            .map_err(|e| format!("GPU readback failed: {e:?}"))?;
        view[..bytes].to_vec()
    };
    buffer.unmap();
    Ok(out)
}
