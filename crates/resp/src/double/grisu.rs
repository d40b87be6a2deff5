//! Grisu2 digit generation with the exact fixed-point arithmetic of
//! night-shift's fpconv (vendored by Redis as deps/fpconv), so that the
//! digits match Redis even where Grisu2 is not shortest (about 0.1% of
//! doubles, e.g. 37.581358841723294 rather than 37.58135884172329).
//!
//! Every step that decides a digit is reproduced: the boundaries as fpconv
//! builds them (including its lower boundary for the smallest normal), the
//! rounded 64x64 multiply, the cached-power choice (which of two valid
//! powers gets picked depends on the starting estimate), and the digit
//! weeding loop. Arithmetic that wraps in C wraps here too.

/// A fixed-point number `f * 2^e`.
#[derive(Clone, Copy)]
struct Fp {
    f: u64,
    e: i32,
}

const HIDDEN_BIT: u64 = 1 << 52;
const FRAC_MASK: u64 = HIDDEN_BIT - 1;
/// 1075 = exponent bias 1023 + 52 fraction bits.
const EXP_BIAS: i32 = 1075;

/// Largest number of digits Grisu2 can produce for a double (17), with room to spare.
pub(super) const MAX_DIGITS: usize = 24;

/// `POW10[i]` approximates `10^(FIRST_POW10 + 8 * i)` as `f * 2^e` with a
/// 64-bit significand rounded to nearest (computed with exact rationals).
const FIRST_POW10: i32 = -348;
const POW10_STEP: i32 = 8;
#[rustfmt::skip]
const POW10: [(u64, i32); 87] = [
    (18054884314459144840, -1220), (13451937075301367670, -1193), (10022474136428063862, -1166),
    (14934650266808366570, -1140), (11127181549972568877, -1113), (16580792590934885855, -1087),
    (12353653155963782858, -1060), (18408377700990114895, -1034), (13715310171984221708, -1007),
    (10218702384817765436, -980), (15227053142812498563, -954), (11345038669416679861, -927),
    (16905424996341287883, -901), (12595523146049147757, -874), (9384396036005875287, -847),
    (13983839803942852151, -821), (10418772551374772303, -794), (15525180923007089351, -768),
    (11567161174868858868, -741), (17236413322193710309, -715), (12842128665889583758, -688),
    (9568131466127621947, -661), (14257626930069360058, -635), (10622759856335341974, -608),
    (15829145694278690180, -582), (11793632577567316726, -555), (17573882009934360870, -529),
    (13093562431584567480, -502), (9755464219737475723, -475), (14536774485912137811, -449),
    (10830740992659433045, -422), (16139061738043178685, -396), (12024538023802026127, -369),
    (17917957937422433684, -343), (13349918974505688015, -316), (9946464728195732843, -289),
    (14821387422376473014, -263), (11042794154864902060, -236), (16455045573212060422, -210),
    (12259964326927110867, -183), (18268770466636286478, -157), (13611294676837538539, -130),
    (10141204801825835212, -103), (15111572745182864684, -77), (11258999068426240000, -50),
    (16777216000000000000, -24), (12500000000000000000, 3), (9313225746154785156, 30),
    (13877787807814456755, 56), (10339757656912845936, 83), (15407439555097886824, 109),
    (11479437019748901445, 136), (17105694144590052135, 162), (12744735289059618216, 189),
    (9495567745759798747, 216), (14149498560666738074, 242), (10542197943230523224, 269),
    (15709099088952724970, 295), (11704190886730495818, 322), (17440603504673385349, 348),
    (12994262207056124023, 375), (9681479787123295682, 402), (14426529090290212157, 428),
    (10748601772107342003, 455), (16016664761464807395, 481), (11933345169920330789, 508),
    (17782069995880619868, 534), (13248674568444952270, 561), (9871031767461413346, 588),
    (14708983551653345445, 614), (10959046745042015199, 641), (16330252207878254650, 667),
    (12166986024289022870, 694), (18130221999122236476, 720), (13508068024458167312, 747),
    (10064294952495520794, 774), (14996968138956309548, 800), (11173611982879273257, 827),
    (16649979327439178909, 853), (12405201291620119593, 880), (9242595204427927429, 907),
    (13772540099066387757, 933), (10261342003245940623, 960), (15290591125556738113, 986),
    (11392378155556871081, 1013), (16975966327722178521, 1039), (12648080533535911531, 1066),
];
/// After scaling by the cached power the upper boundary's exponent must fall
/// in this range, so the integral part fits in 32 bits.
const ALPHA: i32 = -60;
const GAMMA: i32 = -32;

const TENS: [u64; 20] = [
    10_000_000_000_000_000_000,
    1_000_000_000_000_000_000,
    100_000_000_000_000_000,
    10_000_000_000_000_000,
    1_000_000_000_000_000,
    100_000_000_000_000,
    10_000_000_000_000,
    1_000_000_000_000,
    100_000_000_000,
    10_000_000_000,
    1_000_000_000,
    100_000_000,
    10_000_000,
    1_000_000,
    100_000,
    10_000,
    1_000,
    100,
    10,
    1,
];

fn decompose(d: f64) -> Fp {
    let bits = d.to_bits();
    let frac = bits & FRAC_MASK;
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased != 0 {
        Fp { f: frac + HIDDEN_BIT, e: biased - EXP_BIAS }
    } else {
        Fp { f: frac, e: 1 - EXP_BIAS }
    }
}

/// Shifts `w` so that its top bit (bit 63) is set.
fn normalize(mut w: Fp) -> Fp {
    while w.f & HIDDEN_BIT == 0 {
        w.f <<= 1;
        w.e -= 1;
    }
    Fp { f: w.f << 11, e: w.e - 11 }
}

/// The midpoints to the neighbouring doubles, both with the upper one's
/// (normalized) exponent. fpconv treats every significand equal to the
/// hidden bit as having a closer lower neighbour.
fn boundaries(w: Fp) -> (Fp, Fp) {
    let mut upper = Fp { f: (w.f << 1) + 1, e: w.e - 1 };
    while upper.f & (HIDDEN_BIT << 1) == 0 {
        upper.f <<= 1;
        upper.e -= 1;
    }
    upper.f <<= 10;
    upper.e -= 10;
    let lshift = if w.f == HIDDEN_BIT { 2 } else { 1 };
    let lower_e = w.e - lshift;
    let lower = Fp { f: ((w.f << lshift) - 1) << (lower_e - upper.e), e: upper.e };
    (lower, upper)
}

/// The high 64 bits of the 128-bit product, rounded half up.
fn multiply(a: Fp, b: Fp) -> Fp {
    let p = a.f as u128 * b.f as u128 + (1u128 << 63);
    Fp { f: (p >> 64) as u64, e: a.e + b.e + 64 }
}

/// The cached power that brings `e` into [ALPHA, GAMMA], and its decimal
/// exponent. The search starts from a truncated log10 estimate and walks
/// from there, as fpconv does: when two powers qualify, the start decides.
fn cached_pow10(e: i32) -> (Fp, i32) {
    const LOG10_2: f64 = 0.30102999566398114;
    let approx = (-(e + 87) as f64 * LOG10_2) as i32;
    let mut idx = ((approx - FIRST_POW10) / POW10_STEP).clamp(0, POW10.len() as i32 - 1) as usize;
    loop {
        let (f, pe) = POW10[idx];
        let scaled = e + pe + 64;
        if scaled < ALPHA && idx + 1 < POW10.len() {
            idx += 1;
        } else if scaled > GAMMA && idx > 0 {
            idx -= 1;
        } else {
            return (Fp { f, e: pe }, FIRST_POW10 + idx as i32 * POW10_STEP);
        }
    }
}

/// Moves the last digit down while that brings the number closer to the
/// scaled input `w` (distance `wdist` below the upper boundary) and stays
/// inside the rounding interval (`delta` wide). `rem` is how far the digits
/// are below the upper boundary, `ulp` the weight of the last digit.
fn weed(digits: &mut [u8], delta: u64, mut rem: u64, ulp: u64, wdist: u64) {
    let Some(last) = digits.last_mut() else { return };
    while rem < wdist
        && delta.wrapping_sub(rem) >= ulp
        && (rem.wrapping_add(ulp) < wdist || wdist - rem > rem.wrapping_add(ulp).wrapping_sub(wdist))
    {
        *last = last.wrapping_sub(1);
        rem = rem.wrapping_add(ulp);
    }
}

/// Writes the ASCII digits of `|d|` (finite, non-zero) to `digits` and
/// returns their count `n` and the exponent `k`: `|d|` reads back as
/// `digits[..n] * 10^k`.
pub(super) fn grisu2(d: f64, digits: &mut [u8; MAX_DIGITS]) -> (usize, i32) {
    let w = decompose(d);
    let (lower, upper) = boundaries(w);
    let w = normalize(w);
    let (c, k) = cached_pow10(upper.e);
    let w = multiply(w, c);
    let mut upper = multiply(upper, c);
    let mut lower = multiply(lower, c);
    // Shrink the interval by one unit each side to stay inside it despite
    // the multiplication's rounding.
    lower.f = lower.f.wrapping_add(1);
    upper.f = upper.f.wrapping_sub(1);
    let mut exp10 = -k;

    let wdist = upper.f.wrapping_sub(w.f);
    let mut delta = upper.f.wrapping_sub(lower.f);
    // upper = part1 + part2 / 2^shift: integral part (< 2^32) and fraction.
    let shift = (-upper.e) as u32;
    let one = 1u64 << shift;
    let mut part1 = upper.f >> shift;
    let mut part2 = upper.f & (one - 1);
    let mut n = 0;

    // Integral digits, from the 10^9 place down; leading zeros are skipped.
    let mut kappa = 10;
    for &div in &TENS[10..] {
        let digit = part1 / div;
        if (digit != 0 || n != 0) && n < MAX_DIGITS {
            digits[n] = b'0' + digit as u8;
            n += 1;
        }
        part1 -= digit * div;
        kappa -= 1;
        let rem = (part1 << shift) + part2;
        if rem <= delta {
            exp10 += kappa;
            weed(&mut digits[..n], delta, rem, div << shift, wdist);
            return (n, exp10);
        }
    }

    // Fractional digits: the interval widens tenfold with each digit.
    let mut unit = 18;
    loop {
        part2 = part2.wrapping_mul(10);
        delta = delta.wrapping_mul(10);
        kappa -= 1;
        let digit = part2 >> shift;
        if (digit != 0 || n != 0) && n < MAX_DIGITS {
            digits[n] = b'0' + digit as u8;
            n += 1;
        }
        part2 &= one - 1;
        if part2 < delta || n == MAX_DIGITS {
            exp10 += kappa;
            weed(&mut digits[..n], delta, part2, one, wdist.wrapping_mul(TENS[unit]));
            return (n, exp10);
        }
        unit = unit.saturating_sub(1);
    }
}
