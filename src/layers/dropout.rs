//! Inverted dropout.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, NdFloat};
use rand::{Rng as _, RngCore as _};
use rayon::prelude::*;
use std::slice;

use crate::rng::Rng;

/// Fills `chunk` from the stream's words starting at `word`, mapping each through `keep`.
#[inline(never)]
fn fill_chunk<F: Copy>(chunk: &mut [F], rng: &Rng, word: u128, keep: impl Fn(u32) -> F) {
    let mut local = rng.clone();
    local.set_word_pos(word);
    let mut words = [0u32; 1024];
    for part in chunk.chunks_mut(words.len()) {
        local.fill(&mut words[..part.len()]);
        for (v, &u) in part.iter_mut().zip(&words) {
            *v = keep(u);
        }
    }
}

/// Mask elements drawn by one parallel task.
const MASK_CHUNK: usize = 16_384;

/// Inverted dropout (Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
/// Overfitting", JMLR 2014, in the "inverted" form Keras and PyTorch use).
///
/// In training each unit is kept with probability `1 − rate` and scaled by `1/(1 − rate)`, so
/// the expected activation is unchanged and inference needs no rescaling: `y = x ⊙ mask` with
/// `mask ∈ {0, 1/(1 − rate)}`. In evaluation it is the identity.
///
/// Backward (`docs/backprop.md`, section "Dropout"): `dx = dy ⊙ mask`.
///
/// # Shapes
/// Any `[batch, features]`; the output and the mask have the input's shape.
///
/// # Reference
/// `keras.layers.Dropout` (keras/src/layers/regularization/dropout.py).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    /// The fraction of units dropped in training, in `[0, 1)`.
    pub rate: f64,
}

impl Dropout {
    /// A dropout layer dropping `rate` of the units in training.
    ///
    /// # Panics
    /// If `rate` is not in `[0, 1)`.
    pub fn new(rate: f64) -> Self {
        assert!(
            (0.0..1.0).contains(&rate),
            "Dropout rate must be in [0, 1), got {rate}"
        );
        Dropout { rate }
    }

    /// Draws a mask of the given shape: each value `1/(1 − rate)` with probability `1 − rate`,
    /// else 0. See [`Dropout::fill_mask`].
    pub fn mask<F: NdFloat>(&self, shape: (usize, usize), rng: &mut Rng) -> Array2<F> {
        let mut mask = Array2::zeros(shape);
        self.fill_mask(mask.view_mut(), rng);
        mask
    }

    /// Fills `mask` in row-major order, one 32-bit draw per element: a unit is kept when its
    /// draw `u` satisfies `u ≥ round(rate·2³²)`, i.e. with probability `1 − rate` to within
    /// 2⁻³². Kept units get `1/(1 − rate)`, dropped ones 0.
    ///
    /// Element `i` always takes the stream's `i`-th 32-bit word after its current position
    /// (ChaCha can seek), so chunks of the mask are drawn in parallel and the mask is the same
    /// for any thread count; `rng` ends just past the last word used.
    pub fn fill_mask<F: NdFloat>(&self, mut mask: ArrayViewMut2<F>, rng: &mut Rng) {
        let scale = F::from(1.0 / (1.0 - self.rate)).expect("scale fits F");
        let threshold = (self.rate * 4_294_967_296.0).round() as u64;
        let keep = |u: u32| {
            if u64::from(u) >= threshold {
                scale
            } else {
                F::zero()
            }
        };
        let start = rng.get_word_pos();
        let len = mask.len();
        match mask.as_slice_mut() {
            Some(values) => {
                let rng = &*rng;
                values
                    .par_chunks_mut(MASK_CHUNK)
                    .enumerate()
                    .for_each(|(c, chunk)| {
                        fill_chunk(chunk, rng, start + (c * MASK_CHUNK) as u128, keep)
                    });
            }
            None => mask.iter_mut().for_each(|v| *v = keep(rng.next_u32())),
        }
        rng.set_word_pos(start + len as u128);
    }

    /// Forward pass with a given mask: `y = x ⊙ mask` (training), see [`Dropout::mask`].
    ///
    /// # Panics
    /// If `x` and `mask` differ in shape.
    pub fn forward<F: NdFloat>(x: ArrayView2<F>, mask: ArrayView2<F>) -> Array2<F> {
        assert_eq!(
            x.dim(),
            mask.dim(),
            "Dropout::forward: x is {:?} but mask is {:?}",
            x.dim(),
            mask.dim()
        );
        &x * &mask
    }

    /// Backward pass: `dx = dy ⊙ mask`, the same mask as the forward pass.
    ///
    /// # Panics
    /// If `dy` and `mask` differ in shape.
    pub fn backward<F: NdFloat>(mask: ArrayView2<F>, dy: ArrayView2<F>) -> Array2<F> {
        assert_eq!(
            dy.dim(),
            mask.dim(),
            "Dropout::backward: dy is {:?} but mask is {:?}",
            dy.dim(),
            mask.dim()
        );
        &dy * &mask
    }
}

/// Where a training forward pass gets its dropout masks: the source of randomness lives inside
/// the training mode ([`crate::model::Mode::Train`]), so a training pass without masks cannot
/// be written.
pub enum DropoutMasks<'a, F> {
    /// Draw a fresh mask for each dropout from this stream ([`Dropout::fill_mask`]).
    Draw(&'a mut Rng),
    /// Use these, in order, one per dropout (gradient checks and tests).
    Given(slice::Iter<'a, Array2<F>>),
}

impl<'a, F: NdFloat> DropoutMasks<'a, F> {
    /// Masks drawn from `rng`.
    pub fn draw(rng: &'a mut Rng) -> Self {
        DropoutMasks::Draw(rng)
    }

    /// The given masks, one per dropout in order, each shaped like that dropout's input.
    pub fn given(masks: &'a [Array2<F>]) -> Self {
        DropoutMasks::Given(masks.iter())
    }

    /// Fills `mask` for `dropout`: a fresh draw, or the next given mask.
    ///
    /// # Panics
    /// If the given masks have run out or the next one is not `mask`'s shape.
    pub fn fill(&mut self, dropout: &Dropout, mut mask: ArrayViewMut2<F>) {
        match self {
            DropoutMasks::Draw(rng) => dropout.fill_mask(mask, rng),
            DropoutMasks::Given(masks) => match masks.next() {
                Some(given) => {
                    assert_eq!(
                        given.dim(),
                        mask.dim(),
                        "DropoutMasks::fill: a given mask is {:?}, the layer needs {:?}",
                        given.dim(),
                        mask.dim()
                    );
                    mask.assign(given)
                }
                None => panic!("DropoutMasks::fill: fewer masks given than dropout layers"),
            },
        }
    }
}
