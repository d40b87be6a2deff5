//! The geohash arithmetic of Redis' geo commands: 52-bit interleaved
//! cell ids (26 bits of latitude on the even positions, 26 of longitude on
//! the odd ones) over the Web Mercator latitude band, cell decoding to its
//! center, neighbor cells, the 9-cell cover of a search shape and the
//! haversine distance. Every step is computed in the same order and with
//! the same integer truncations as Redis, because replies print the decoded
//! coordinates and distances to the last digit.

/// Redis' GEO_STEP_MAX: 26 bits per coordinate, 52 in all.
pub const STEP_MAX: u8 = 26;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LON_MIN: f64 = -180.0;
pub const LON_MAX: f64 = 180.0;

/// Earth's quadratic mean radius for WGS-84, the one Redis uses.
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
/// Redis' MERCATOR_MAX, the bound of the step estimation.
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

#[inline]
fn deg_rad(a: f64) -> f64 {
    a * D_R
}

#[inline]
fn rad_deg(a: f64) -> f64 {
    a / D_R
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Bits {
    pub bits: u64,
    pub step: u8,
}

impl Bits {
    /// An excluded neighbor (Redis' GZERO / HASHISZERO).
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The coordinate ranges the stored scores are encoded against.
pub const LON_RANGE: Range = Range { min: LON_MIN, max: LON_MAX };
pub const LAT_RANGE: Range = Range { min: LAT_MIN, max: LAT_MAX };

#[derive(Clone, Copy, Debug)]
pub struct Area {
    pub lon: Range,
    pub lat: Range,
}

/// Spread the low 32 bits of `v` to the even bit positions.
fn spread(v: u32) -> u64 {
    let mut x = v as u64;
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gather the even bit positions of `v` into the low 32 bits.
fn gather(v: u64) -> u64 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF
}

/// Encode a point at `step` bits per coordinate against the given ranges;
/// None outside the Mercator band or the ranges (Redis returns 0 there).
pub fn encode(lon_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<Bits> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LON_MIN..=LON_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let lon_off = (lon - lon_r.min) / (lon_r.max - lon_r.min) * scale;
    // C converts the offsets to uint32_t by truncation; an offset of
    // exactly 2^step (the upper edge) is kept, as in Redis.
    let bits = spread(lat_off as u32) | (spread(lon_off as u32) << 1);
    Some(Bits { bits, step })
}

/// A cell's bounds; None for a zero hash.
pub fn decode(lon_r: Range, lat_r: Range, h: Bits) -> Option<Area> {
    if h.is_zero() {
        return None;
    }
    let ilat = gather(h.bits) as u32;
    let ilon = gather(h.bits >> 1) as u32;
    let div = (1u64 << h.step) as f64;
    let lat_scale = lat_r.max - lat_r.min;
    let lon_scale = lon_r.max - lon_r.min;
    // `(i + 1)` is unsigned arithmetic in C (no overflow for real cells).
    Some(Area {
        lat: Range { min: lat_r.min + (ilat as f64 / div) * lat_scale, max: lat_r.min + (ilat.wrapping_add(1) as f64 / div) * lat_scale },
        lon: Range { min: lon_r.min + (ilon as f64 / div) * lon_scale, max: lon_r.min + (ilon.wrapping_add(1) as f64 / div) * lon_scale },
    })
}

/// The center of a cell, clamped to the valid band.
pub fn area_center(a: &Area) -> (f64, f64) {
    let lon = ((a.lon.min + a.lon.max) / 2.0).clamp(LON_MIN, LON_MAX);
    let lat = ((a.lat.min + a.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// C's `(uint64_t)d` as x86-64 compilers emit it: values out of range do
/// not saturate (a score of -1 becomes all ones), so odd scores decode to
/// the same odd places Redis reports.
pub fn c_double_to_u64(d: f64) -> u64 {
    const TWO63: f64 = 9223372036854775808.0;
    let cvtt = |x: f64| -> u64 {
        if x.is_nan() || !(-TWO63..TWO63).contains(&x) {
            0x8000_0000_0000_0000
        } else {
            x as i64 as u64
        }
    };
    if d < TWO63 {
        cvtt(d)
    } else {
        cvtt(d - TWO63) ^ 0x8000_0000_0000_0000
    }
}

/// The position a sorted set score stands for (Redis' decodeGeohash).
pub fn decode_score(score: f64) -> (f64, f64) {
    let h = Bits { bits: c_double_to_u64(score), step: STEP_MAX };
    // A 26-step hash is never zero, so decoding cannot fail.
    let a = decode(LON_RANGE, LAT_RANGE, h).expect("step is non-zero");
    area_center(&a)
}

/// The score GEOADD stores for a (validated) point.
pub fn encode_score(lon: f64, lat: f64) -> f64 {
    let h = encode(LON_RANGE, LAT_RANGE, lon, lat, STEP_MAX).unwrap_or_default();
    align52(h) as f64
}

/// The cell id shifted to the 52-bit score scale.
pub fn align52(h: Bits) -> u64 {
    h.bits << (52 - h.step as u32 * 2)
}

/// The 11-character standard geohash of a stored score: decoded, then
/// re-encoded against -180..180 / -90..90 (the standard ranges).
pub fn standard_string(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score);
    let r_lon = Range { min: -180.0, max: 180.0 };
    let r_lat = Range { min: -90.0, max: 90.0 };
    let bits = encode(r_lon, r_lat, lon, lat, STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    // 52 bits make 10 characters; the 11th is historically '0'.
    for (i, c) in out.iter_mut().take(10).enumerate() {
        let idx = (bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET[idx as usize];
    }
    out
}

fn move_x(h: &mut Bits, d: i8) {
    let shift = 64 - h.step as u32 * 2;
    let x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    let x = if d > 0 { x.wrapping_add(zz + 1) } else { (x | zz).wrapping_sub(zz + 1) };
    h.bits = (x & (0xaaaa_aaaa_aaaa_aaaau64 >> shift)) | y;
}

fn move_y(h: &mut Bits, d: i8) {
    let shift = 64 - h.step as u32 * 2;
    let x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    let y = if d > 0 { y.wrapping_add(zz + 1) } else { (y | zz).wrapping_sub(zz + 1) };
    h.bits = x | (y & (0x5555_5555_5555_5555u64 >> shift));
}

fn moved(h: Bits, dx: i8, dy: i8) -> Bits {
    let mut n = h;
    if dx != 0 {
        move_x(&mut n, dx);
    }
    if dy != 0 {
        move_y(&mut n, dy);
    }
    n
}

/// A search shape: a circle (radius) or an axis-aligned box (width,
/// height), in `unit`s (`conversion` meters each), around (lon, lat).
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub conversion: f64,
    pub kind: ShapeKind,
}

#[derive(Clone, Copy, Debug)]
pub enum ShapeKind {
    Radius(f64),
    Box { width: f64, height: f64 },
}

impl Shape {
    /// (min lon, min lat, max lon, max lat) of the area to cover.
    fn bounding_box(&self) -> [f64; 4] {
        let (h, w) = match self.kind {
            ShapeKind::Radius(r) => (r, r),
            ShapeKind::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * h;
        let width = self.conversion * w;
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let lon_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat + lat_delta).cos());
        let lon_delta_bottom = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat - lat_delta).cos());
        // The wider edge is the one nearer the equator.
        let lon_delta = if self.lat < 0.0 { lon_delta_bottom } else { lon_delta_top };
        [self.lon - lon_delta, self.lat - lat_delta, self.lon + lon_delta, self.lat + lat_delta]
    }

    /// The distance from the center if the point is inside the shape.
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.kind {
            ShapeKind::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= r * self.conversion).then_some(d)
            }
            ShapeKind::Box { width, height } => {
                let (w, h) = (width * self.conversion, height * self.conversion);
                // Latitude first: it is the cheaper test.
                if lat_distance(lat, self.lat) > h / 2.0 {
                    return None;
                }
                if distance(lon, lat, self.lon, lat) > w / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }
}

/// Redis' estimate of the cell size (bits per coordinate) whose 3x3 block
/// covers a search of this radius at this latitude.
pub fn estimate_steps(range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return 26;
    }
    let mut range = range_m;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The cells to scan, in Redis' order: center, N, S, E, W, NE, NW, SE, SW
/// (zero entries were found useless and are skipped).
pub fn cover(shape: &Shape) -> [Bits; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounding_box();
    let radius_m = match shape.kind {
        ShapeKind::Radius(r) => r,
        ShapeKind::Box { width, height } => ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt(),
    } * shape.conversion;
    let mut steps = estimate_steps(radius_m, shape.lat);
    let cell = |steps: u8| encode(LON_RANGE, LAT_RANGE, shape.lon, shape.lat, steps).unwrap_or(Bits { bits: 0, step: steps });
    let area_of =
        |h: Bits| decode(LON_RANGE, LAT_RANGE, h).unwrap_or(Area { lon: Range { min: 0.0, max: 0.0 }, lat: Range { min: 0.0, max: 0.0 } });

    let mut hash = cell(steps);
    // The estimate can be too fine near a cell's edge: if a neighbor does
    // not reach the shape's bounding box, use cells twice as large.
    let north = area_of(moved(hash, 0, 1));
    let south = area_of(moved(hash, 0, -1));
    let east = area_of(moved(hash, 1, 0));
    let west = area_of(moved(hash, -1, 0));
    let decrease = north.lat.max < max_lat || south.lat.min > min_lat || east.lon.max < max_lon || west.lon.min > min_lon;
    if steps > 1 && decrease {
        steps -= 1;
        hash = cell(steps);
    }
    let area = area_of(hash);
    let mut n = [
        hash,
        moved(hash, 0, 1),   // north
        moved(hash, 0, -1),  // south
        moved(hash, 1, 0),   // east
        moved(hash, -1, 0),  // west
        moved(hash, 1, 1),   // north east
        moved(hash, -1, 1),  // north west
        moved(hash, 1, -1),  // south east
        moved(hash, -1, -1), // south west
    ];
    const NORTH: [usize; 3] = [1, 5, 6];
    const SOUTH: [usize; 3] = [2, 7, 8];
    const EAST: [usize; 3] = [3, 5, 7];
    const WEST: [usize; 3] = [4, 6, 8];
    if steps >= 2 {
        let zero = |n: &mut [Bits; 9], which: [usize; 3]| which.iter().for_each(|&i| n[i] = Bits::default());
        if area.lat.min < min_lat {
            zero(&mut n, SOUTH);
        }
        if area.lat.max > max_lat {
            zero(&mut n, NORTH);
        }
        if area.lon.min < min_lon {
            zero(&mut n, WEST);
        }
        if area.lon.max > max_lon {
            zero(&mut n, EAST);
        }
    }
    n
}

/// The score interval [min, max) holding every point of a cell.
pub fn score_bounds(h: Bits) -> (f64, f64) {
    let min = align52(h);
    let max = align52(Bits { bits: h.bits.wrapping_add(1), step: h.step });
    (min as f64, max as f64)
}

/// Distance along a meridian.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Haversine great-circle distance in meters.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    // Same longitude: the cheaper meridian distance (as Redis does).
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// A distance as Redis prints it: fixed point with 4 decimals, rounded to
/// nearest-even after scaling (fixedpoint_d2string).
pub fn format_distance(d: f64, out: &mut Vec<u8>) {
    if d == 0.0 {
        out.extend_from_slice(b"0.0000");
        return;
    }
    let scaled = (d * 10000.0).round_ties_even();
    let v = if scaled.is_nan() { 0i64 } else { scaled as i64 };
    if v < 0 {
        out.push(b'-');
    }
    let a = v.unsigned_abs();
    out.extend_from_slice(format!("{}.{:04}", a / 10000, a % 10000).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_redis() {
        // GEOADD Sicily 13.361389 38.115556 "Palermo" stores this score.
        assert_eq!(encode_score(13.361389, 38.115556), 3479099956230698.0);
        assert_eq!(encode_score(15.087269, 37.502669), 3479447370796909.0);
        let (lon, lat) = decode_score(3479099956230698.0);
        assert_eq!((lon, lat), (13.361389338970184, 38.1155563954963));
    }

    #[test]
    fn odd_scores_decode_like_x86() {
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(1e30), 0);
        assert_eq!(c_double_to_u64(f64::NEG_INFINITY), 0x8000_0000_0000_0000);
        assert_eq!(decode_score(-1.0), (180.0, 85.05112878));
        assert_eq!(decode_score(0.0), (-179.99999731779099, -85.05112751263943));
    }

    #[test]
    fn standard_geohash_strings() {
        assert_eq!(&standard_string(3479099956230698.0), b"sqc8b49rny0");
        assert_eq!(&standard_string(3479447370796909.0), b"sqdtr74hyu0");
        assert_eq!(&standard_string(-1.0), b"bp05b5048p0");
        assert_eq!(&standard_string(0.0), b"00bh0hbj200");
    }

    #[test]
    fn distances() {
        let (a, b) = (decode_score(3479099956230698.0), decode_score(3479447370796909.0));
        let mut s = Vec::new();
        format_distance(distance(a.0, a.1, b.0, b.1), &mut s);
        assert_eq!(s, b"166274.1516");
        s.clear();
        format_distance(distance(a.0, a.1, b.0, b.1) / 1000.0, &mut s);
        assert_eq!(s, b"166.2742");
        s.clear();
        format_distance(0.00001, &mut s);
        assert_eq!(s, b"0.0000");
    }

    #[test]
    fn steps() {
        assert_eq!(estimate_steps(0.0, 0.0), 26);
        assert_eq!(estimate_steps(200_000.0, 37.0), 6);
        assert_eq!(estimate_steps(200_000.0, 70.0), 5);
        assert_eq!(estimate_steps(200_000.0, 85.0), 4);
        assert_eq!(estimate_steps(1e9, 0.0), 1);
    }

    #[test]
    fn neighbors_wrap_within_the_step() {
        let h = Bits { bits: 0, step: 2 };
        let w = moved(h, -1, 0);
        assert_eq!(w.bits & !0b1111, 0);
        assert_ne!(w.bits, 0);
    }
}
