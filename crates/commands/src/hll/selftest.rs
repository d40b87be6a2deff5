//! PFSELFTEST: Redis' internal consistency test of the HyperLogLog code,
//! run the same way: random dense register writes read back, then ten
//! million distinct elements added to a dense and a sparse sketch side by
//! side, checking at each power of ten that sparse is used while small,
//! both agree, and the error stays within six standard errors.

use super::sketch::{self, DENSE_SIZE, HDR, REGISTERS};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use moon_resp::Argv;

pub fn pfselftest(ctx: &mut Ctx, _argv: &Argv) -> CmdResult {
    let sparse_max = super::sparse_max(ctx);
    let seed = moon_store::clock::now_ms() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    run(1000, 10_000_000, sparse_max, seed)?;
    ctx.out.ok();
    Ok(())
}

/// xorshift64*: any decent generator will do; Redis uses rand().
fn next(s: &mut u64) -> u64 {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    s.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn failed(msg: String) -> CmdError {
    CmdError::err(format_args!("TESTFAILED {msg}"))
}

pub(super) fn run(cycles: usize, elements: u64, sparse_max: usize, seed: u64) -> Result<(), CmdError> {
    let mut rng = seed | 1;
    let mut dense = vec![0u8; DENSE_SIZE];
    let mut want = vec![0u8; REGISTERS];
    for _ in 0..cycles {
        for (i, w) in want.iter_mut().enumerate() {
            *w = (next(&mut rng) & 63) as u8;
            sketch::dense_put(&mut dense[HDR..], i, *w);
        }
        for (i, &w) in want.iter().enumerate() {
            let got = sketch::dense_get(&dense[HDR..], i);
            if got != w {
                return Err(failed(format!("Register {i} should be {w} but is {got}")));
            }
        }
    }

    let mut dense = sketch::new_sparse();
    sketch::to_dense(&mut dense).map_err(|_| failed("dense conversion".into()))?;
    let mut sparse = sketch::new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let salt = next(&mut rng);
    let mut checkpoint = 1u64;
    for j in 1..=elements {
        let ele = (j ^ salt).to_ne_bytes();
        let _ = sketch::add(&mut dense, &ele, sparse_max);
        sketch::add(&mut sparse, &ele, sparse_max).map_err(|_| failed("sparse add".into()))?;
        if j != checkpoint {
            continue;
        }
        if (j as usize) < sparse_max / 2 && !sketch::is_sparse(&sparse) {
            return Err(failed("sparse encoding not used".into()));
        }
        let count = |v: &[u8]| sketch::histogram(v).map(|h| sketch::estimate(&h)).map_err(|_| failed("corrupt".into()));
        let d = count(&dense)?;
        if d != count(&sparse)? {
            return Err(failed("dense/sparse disagree".into()));
        }
        let abserr = (checkpoint as i64 - d as i64).unsigned_abs();
        let maxerr = if j == 10 { 1 } else { (relerr * 6.0 * checkpoint as f64).ceil() as u64 };
        if abserr > maxerr {
            return Err(failed(format!("Too big error. card:{checkpoint} abserr:{abserr}")));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn selftest_passes_on_a_small_run() {
        assert_eq!(super::run(3, 200_000, 3000, 42), Ok(()));
    }
}
