//! The event queue against a bare event loop: `cargo bench --bench engine`.
//!
//! The classic hold model: a queue holds `size` pending events; each step pops the earliest
//! and pushes one a random exponential time (mean 1 h) later. The bare loop is a
//! `BinaryHeap` of integer times with exponential draws from the same generator; the
//! engine's loop is `EventQueue` with its full key (time, class, tie, sequence). Both run in
//! the same process and the same run, so their ratio holds whatever the machine's speed.
//! Time per iteration is for 10,000 steps.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use edgesim::engine::queue::{EventClass, EventQueue};
use edgesim::engine::rng::{Purpose, Stream};
use edgesim::time::SimDuration;

const STEPS: u64 = 10_000;
const MEAN_MICROS: f64 = 3_600e6;

fn exponential_micros(stream: &mut Stream) -> u64 {
    (-MEAN_MICROS * libm::log(stream.open01())) as u64
}

fn bare_hold(size: usize) -> u64 {
    let mut stream = Stream::new(1, 0, 0, Purpose::Failures);
    let mut heap: BinaryHeap<Reverse<u64>> = (0..size)
        .map(|_| Reverse(exponential_micros(&mut stream)))
        .collect();
    let mut last = 0;
    for _ in 0..STEPS {
        let Reverse(now) = heap.pop().expect("the hold model keeps its size");
        heap.push(Reverse(now + exponential_micros(&mut stream)));
        last = now;
    }
    last
}

fn engine_hold(size: usize) -> u64 {
    let mut stream = Stream::new(1, 0, 0, Purpose::Failures);
    let mut queue: EventQueue<u32> = EventQueue::default();
    for i in 0..size {
        let at = SimDuration::from_micros(exponential_micros(&mut stream));
        queue.push_tied(at, EventClass::Client, i as u128, i as u32);
    }
    let mut last = SimDuration::ZERO;
    for _ in 0..STEPS {
        let (now, event) = queue.pop().expect("the hold model keeps its size");
        let at = SimDuration::from_micros(now.as_micros() + exponential_micros(&mut stream));
        queue.push_tied(at, EventClass::Client, u128::from(event), event);
        last = now;
    }
    last.as_micros()
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold model, 10,000 steps");
    for size in [16usize, 1_000] {
        group.bench_with_input(
            BenchmarkId::new("bare BinaryHeap", size),
            &size,
            |b, &size| b.iter(|| bare_hold(black_box(size))),
        );
        group.bench_with_input(
            BenchmarkId::new("edgesim EventQueue", size),
            &size,
            |b, &size| b.iter(|| engine_hold(black_box(size))),
        );
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
