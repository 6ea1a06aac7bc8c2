//! Passes the locked versions of burn and candle-core to the binaries (`PEER_BURN_VERSION`,
//! `PEER_CANDLE_VERSION`), so each RESULT line names the version it actually ran.
fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    for (krate, var) in [
        ("burn", "PEER_BURN_VERSION"),
        ("candle-core", "PEER_CANDLE_VERSION"),
    ] {
        let needle = format!("name = \"{krate}\"\nversion = \"");
        let version = lock
            .find(&needle)
            .map(|i| &lock[i + needle.len()..])
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("?");
        println!("cargo:rustc-env={var}={version}");
    }
}
