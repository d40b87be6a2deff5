//! Builds the C helpers: long double arithmetic (INCRBYFLOAT) needs C's
//! `long double`, which Rust cannot express.

fn main() {
    println!("cargo:rerun-if-changed=csrc/ldouble.c");
    cc::Build::new().file("csrc/ldouble.c").warnings(true).compile("moon_ldouble");
}
