//! The weights' average is updated after every training step, so its update must allocate
//! nothing: counted here with a global allocator that counts this thread's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use fraudnet::model::{Architecture, Sequential};
use fraudnet::optim::Ema;
use fraudnet::rng::{self, Stream};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn an_update_of_the_average_allocates_nothing() {
    // The example's model: 30 inputs, three hidden layers of 256.
    let arch = Architecture::mlp(30, &[256, 256, 256], &[0.0, 0.3, 0.3]).unwrap();
    let model = Sequential::<f32>::new(&arch, &mut rng::stream(1, Stream::Init)).unwrap();
    let mut ema = Ema::new(0.99, &model);
    ema.update(&model, true);
    let before = ALLOCATIONS.with(Cell::get);
    for _ in 0..10 {
        ema.update(&model, false);
    }
    assert_eq!(ALLOCATIONS.with(Cell::get) - before, 0);
}
