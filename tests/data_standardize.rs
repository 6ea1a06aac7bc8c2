//! `Standardizer`: fitted on training rows, applied to any rows, constant columns made safe.

use fraudnet::data::Standardizer;
use ndarray::{Array2, array};

#[test]
fn mean_and_population_std() {
    let train = array![[1.0_f32, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]];
    let fitted = Standardizer::fit(&train);
    assert_eq!(fitted.mean, array![2.5_f32, 25.0]);
    // np.std (ddof 0): sqrt(1.25) and sqrt(125); the sample std (ddof 1) would be sqrt(5/3).
    assert_eq!(
        fitted.std,
        array![1.25_f64.sqrt() as f32, 125.0_f64.sqrt() as f32]
    );
    assert!(fitted.zero_variance_columns().is_empty());
}

#[test]
fn apply_subtracts_then_divides() {
    let train = array![[1.0_f32, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]];
    let fitted = Standardizer::fit(&train);
    let mut x = train.clone();
    fitted.apply(&mut x);
    let z = [-1.5_f32, -0.5, 0.5, 1.5].map(|d| d / 1.25_f64.sqrt() as f32);
    let expected = Array2::from_shape_fn((4, 2), |(i, j)| {
        let (mean, std) = (fitted.mean[j], fitted.std[j]);
        (train[[i, j]] - mean) / std
    });
    assert_eq!(x, expected);
    for (i, &zi) in z.iter().enumerate() {
        assert!(
            (x[[i, 0]] - zi).abs() <= 1e-6,
            "row {i}: {} vs {zi}",
            x[[i, 0]]
        );
        assert!(
            (x[[i, 1]] - zi).abs() <= 1e-6,
            "row {i}: {} vs {zi}",
            x[[i, 1]]
        );
    }
    // Standardised training columns: mean 0, population std 1.
    for column in x.columns() {
        let mean = column.sum() / 4.0;
        let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
        assert!(
            mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-6,
            "{mean} {var}"
        );
    }
}

#[test]
fn validation_rows_use_the_training_statistics() {
    let fitted = Standardizer::fit(&array![[0.0_f32], [2.0]]);
    let mut val = array![[5.0_f32], [-1.0]];
    fitted.apply(&mut val);
    assert_eq!(val, array![[4.0_f32], [-2.0]]);
}

#[test]
fn zero_variance_column_becomes_zero() {
    let train = array![[1.0_f32, 5.0, 0.1], [2.0, 5.0, 0.1], [3.0, 5.0, 0.1]];
    let fitted = Standardizer::fit(&train);
    assert_eq!(fitted.std[1], 0.0);
    assert_eq!(fitted.std[2], 0.0);
    assert_eq!(fitted.zero_variance_columns(), [1, 2]);
    let mut x = array![[1.0_f32, 5.0, 0.1], [2.0, 7.0, -3.0]];
    fitted.apply(&mut x);
    assert_eq!(x.column(1).to_vec(), [0.0, 0.0]);
    assert_eq!(x.column(2).to_vec(), [0.0, 0.0]);
    assert!(x.iter().all(|v| v.is_finite()));
}

#[test]
fn large_offset_keeps_precision() {
    // Summing in f64: the mean of 16,777,216 + {0, 2, 4, 6} is exact, and the spread survives.
    let train = array![
        [16_777_216.0_f32],
        [16_777_218.0],
        [16_777_220.0],
        [16_777_222.0]
    ];
    let fitted = Standardizer::fit(&train);
    assert_eq!(fitted.mean[0], 16_777_219.0);
    assert_eq!(fitted.std[0], 5.0_f64.sqrt() as f32);
}

#[test]
#[should_panic(expected = "fitted on 2 features")]
fn apply_with_the_wrong_width_panics() {
    let fitted = Standardizer::fit(&array![[1.0_f32, 2.0], [3.0, 4.0]]);
    fitted.apply(&mut Array2::zeros((2, 3)));
}
