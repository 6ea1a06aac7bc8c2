//! The matrix-product kernel against the naive triple loop, on edge sizes, transposed and
//! strided views, fused epilogues, and across thread counts.

mod common;

use common::{bits, pool, random};
use fraudnet::activation::Activation;
use fraudnet::linalg::{self, Epilogue, KC, MC, MR, NC, NR, matmul, matmul_into, matmul_naive};
use ndarray::{Array2, s};

/// Largest |c - r| / (Σₖ |a||b| + tiny): the error bound of a length-k sum is about k·ε times
/// that sum, so 1e-5 allows f32 round-off and nothing else.
fn assert_close(c: &Array2<f32>, a: &Array2<f32>, b: &Array2<f32>, what: &str) {
    let r = matmul_naive(a.view(), b.view());
    let scale = matmul_naive(a.mapv(f32::abs).view(), b.mapv(f32::abs).view());
    assert_eq!(c.dim(), r.dim(), "{what}: shape");
    for ((&c, &r), &s) in c.iter().zip(&r).zip(&scale) {
        assert!(
            (c - r).abs() <= 1e-5 * s + 1e-30,
            "{what}: {c} vs reference {r} (scale {s})"
        );
    }
}

const SIZES: [usize; 13] = [
    0,
    1,
    2,
    3,
    MR - 1,
    MR,
    MR + 1,
    NR - 1,
    NR,
    NR + 1,
    17,
    MC + 1,
    NC + 1,
];

#[test]
fn matches_naive_reference_on_edge_sizes() {
    for &m in &SIZES {
        for &k in &[0, 1, 2, 7, KC - 1, KC, KC + 1] {
            for &n in &SIZES {
                let a = random::<f32>(m, k, 1);
                let b = random::<f32>(k, n, 2);
                assert_close(&matmul(a.view(), b.view()), &a, &b, &format!("{m}x{k}x{n}"));
            }
        }
    }
    let a = random::<f32>(17, 257, 3);
    let b = random::<f32>(257, 31, 4);
    assert_close(&matmul(a.view(), b.view()), &a, &b, "17x257x31");
}

#[test]
fn f64_without_fma_is_the_naive_sum_bit_for_bit_or_within_one_rounding() {
    let a = random::<f64>(37, 300, 5);
    let b = random::<f64>(300, 19, 6);
    let c = matmul(a.view(), b.view());
    let r = matmul_naive(a.view(), b.view());
    for (&c, &r) in c.iter().zip(&r) {
        assert!((c - r).abs() <= 1e-12, "{c} vs {r}");
    }
}

#[test]
fn transposed_and_strided_views() {
    // Aᵀ·B as the weight gradient xᵀ·dy needs it: A is stored [k, m].
    let x = random::<f32>(300, 30, 7);
    let dy = random::<f32>(300, 40, 8);
    let c = matmul(x.t(), dy.view());
    assert_close(&c, &x.t().to_owned(), &dy, "x^T dy");
    // A·Bᵀ as the input gradient dy·Wᵀ needs it: B is stored [n, k].
    let w = random::<f32>(30, 40, 9);
    let c = matmul(dy.view(), w.t());
    assert_close(&c, &dy, &w.t().to_owned(), "dy W^T");
    // Non-contiguous: every other row and column, and a reversed axis.
    let big = random::<f32>(60, 50, 10);
    let a = big.slice(s![..;2, 1..;2]);
    let b = random::<f32>(50, 33, 11);
    let b = b.slice(s![..;2, ..;-1]);
    assert_close(&matmul(a, b), &a.to_owned(), &b.to_owned(), "strided");
    // Writing into a strided output.
    let mut out = Array2::<f32>::zeros((a.nrows() * 2, b.ncols()));
    matmul_into(a, b, out.slice_mut(s![..;2, ..]), Epilogue::None);
    assert_close(
        &out.slice(s![..;2, ..]).to_owned(),
        &a.to_owned(),
        &b.to_owned(),
        "strided output",
    );
    assert!(
        out.slice(s![1..;2, ..]).iter().all(|&v| v == 0.0),
        "rows between must stay untouched"
    );
}

#[test]
fn fused_bias_and_relu_epilogues() {
    // n = 20 runs the product as is; n = 1 (the output layer) runs it transposed, bias by row.
    for n in [20, 1] {
        let a = random::<f32>(50, 30, 12);
        let b = random::<f32>(30, n, 13);
        let bias = random::<f32>(1, n, 14).into_shape_with_order(n).unwrap();
        let plain = matmul(a.view(), b.view());
        let mut with_bias = Array2::zeros((50, n));
        matmul_into(
            a.view(),
            b.view(),
            with_bias.view_mut(),
            Epilogue::Bias(bias.as_slice().unwrap()),
        );
        let expected = &plain + &bias;
        assert_eq!(with_bias, expected, "n = {n}");
        for activation in Activation::ALL {
            let mut activated = Array2::zeros((50, n));
            matmul_into(
                a.view(),
                b.view(),
                activated.view_mut(),
                Epilogue::BiasActivation(bias.as_slice().unwrap(), activation),
            );
            let expected = expected.mapv(|v| activation.value(v));
            assert_eq!(bits(&activated), bits(&expected), "{activation}, n = {n}");
            if activation == Activation::Relu {
                assert!(activated.iter().any(|&v| v == 0.0) && activated.iter().any(|&v| v > 0.0));
            }
        }
    }
}

#[test]
fn the_naive_product_is_the_fast_one_bit_for_bit() {
    // Both sum each element in order over k, fusing each multiply-add exactly where the other
    // does, so they agree exactly (the model's reference path relies on it).
    for (m, k, n) in [(37, 300, 19), (6, 256, 16), (50, 30, 1), (7, 2049, 33)] {
        let a = random::<f32>(m, k, 41);
        let b = random::<f32>(k, n, 42);
        assert_eq!(
            bits(&matmul(a.view(), b.view())),
            bits(&matmul_naive(a.view(), b.view())),
            "{m}x{k}x{n}"
        );
        assert_eq!(
            bits(&matmul(a.t(), a.view())),
            bits(&matmul_naive(a.t(), a.view())),
            "transposed {m}x{k}"
        );
    }
}

#[test]
fn activation_gradient_epilogue_is_mask_then_the_activation_gradient() {
    for n in [40, 3, 1] {
        let a = random::<f32>(33, 20, 21);
        let b = random::<f32>(20, n, 22);
        let z = random::<f32>(33, n, 23);
        let mask = random::<f32>(33, n, 24).mapv(|v| if v > 0.0 { 1.0 / 0.7 } else { 0.0 });
        let plain = matmul(a.view(), b.view());
        for activation in Activation::ALL {
            let y = z.mapv(|v| activation.value(v));
            for with_mask in [true, false] {
                let mut gated = Array2::zeros((33, n));
                matmul_into(
                    a.view(),
                    b.view(),
                    gated.view_mut(),
                    Epilogue::ActivationGrad {
                        mask: with_mask.then(|| mask.view()),
                        activation,
                        output: y.view(),
                    },
                );
                let expected =
                    ndarray::Zip::from(&plain)
                        .and(&mask)
                        .and(&y)
                        .map_collect(|&c, &m, &y| {
                            activation.gradient(if with_mask { c * m } else { c }, y)
                        });
                assert_eq!(
                    bits(&gated),
                    bits(&expected),
                    "{activation}, mask {with_mask}, n = {n}"
                );
            }
        }
    }
}

#[test]
fn bitwise_identical_for_any_thread_count() {
    // The model's shapes: forward, weight gradient, input gradient, and the skinny output.
    let cases = [
        (2048, 30, 256, false, false),
        (2048, 256, 256, false, false),
        (256, 2048, 256, true, false),
        (2048, 256, 256, false, true),
        (2048, 256, 1, false, false),
        (518, 30, 256, false, false),
    ];
    for (m, k, n, ta, tb) in cases {
        let a = if ta {
            random::<f32>(k, m, 15)
        } else {
            random::<f32>(m, k, 15)
        };
        let b = if tb {
            random::<f32>(n, k, 16)
        } else {
            random::<f32>(k, n, 16)
        };
        let (av, bv) = (
            if ta { a.t() } else { a.view() },
            if tb { b.t() } else { b.view() },
        );
        eprintln!(
            "{m}x{k}x{n}: AVX2+FMA kernel in use: {}",
            linalg::fma_available()
        );
        let one = pool(1).install(|| matmul(av, bv));
        let two = pool(2).install(|| matmul(av, bv));
        let eight = pool(8).install(|| matmul(av, bv));
        assert_eq!(bits(&one), bits(&two), "{m}x{k}x{n}: 1 vs 2 threads");
        assert_eq!(bits(&one), bits(&eight), "{m}x{k}x{n}: 1 vs 8 threads");
    }
}

#[test]
fn single_column_path_equals_the_tiled_path_bit_for_bit() {
    // N = 1 runs a matrix-vector loop; the same column inside a wider product runs through
    // the packed micro-kernel. Both sum each element in order over k, so they agree exactly.
    for (m, k, transposed) in [
        (2048, 256, false),
        (256, 2048, true),
        (37, 5, false),
        (9, 0, false),
    ] {
        let a = if transposed {
            random::<f32>(k, m, 31)
        } else {
            random::<f32>(m, k, 31)
        };
        let av = if transposed { a.t() } else { a.view() };
        let wide = random::<f32>(k, 40, 32);
        let single = matmul(av, wide.slice(s![.., ..1]));
        let tiled = matmul(av, wide.view());
        assert_eq!(
            bits(&single),
            bits(&tiled.slice(s![.., ..1]).to_owned()),
            "{m}x{k}"
        );
    }
}
