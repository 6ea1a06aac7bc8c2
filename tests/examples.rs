//! The runnable examples do what they say: a different network trained on another problem
//! through the public API reaches its stated accuracy.

#[allow(dead_code)]
#[path = "../examples/two_moons.rs"]
mod two_moons;

#[test]
fn a_tanh_relu_network_learns_two_moons() {
    // The stated accuracy of `cargo run --example two_moons`: at least 0.97 on 1,000 test
    // points. A linear model reaches about 0.88 on this set, so this needs the hidden layers.
    let accuracy = two_moons::train(7, 500);
    assert!(accuracy >= 0.97, "test accuracy {accuracy}");
    // Untrained, the same network is near chance: the accuracy comes from training.
    let untrained = two_moons::train(7, 0);
    assert!(untrained < 0.9, "untrained accuracy {untrained}");
}
