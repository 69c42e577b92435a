//! numpy's legacy `RandomState`: the MT19937 generator and the bounded-integer draws of
//! `RandomState.randint`, reproduced bit for bit.
//!
//! Matsumoto & Nishimura, "Mersenne Twister: a 623-dimensionally equidistributed uniform pseudo-random
//! number generator" (ACM TOMACS 1998), seeded with `init_genrand` as numpy's `mt19937_seed` does for an
//! integer seed. The bounded draws follow numpy's `random_bounded_uint{32,64}_fill` with `use_masked=true`
//! (the legacy `RandomState` path, `numpy/random/src/distributions/distributions.c`): draw, AND with the
//! smallest all-ones mask covering the range, reject values past the range. Other libraries (datasketch)
//! derive their hash permutations from exactly these draws, so any deviation changes their signatures.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// The MT19937 state of `numpy.random.RandomState(seed)` for an integer seed.
#[derive(Clone)]
pub struct Mt19937 {
    mt: [u32; N],
    pos: usize,
}

impl Mt19937 {
    /// `RandomState(seed)`: numpy accepts integer seeds in `0..2**32` and seeds with `init_genrand`.
    pub fn new(seed: u32) -> Self {
        let mut mt = [0u32; N];
        mt[0] = seed;
        for i in 1..N {
            let prev = mt[i - 1];
            mt[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { mt, pos: N }
    }

    fn twist(&mut self) {
        let mag = |y: u32| if y & 1 == 1 { MATRIX_A } else { 0 };
        for i in 0..N {
            let y = (self.mt[i] & UPPER_MASK) | (self.mt[(i + 1) % N] & LOWER_MASK);
            self.mt[i] = self.mt[(i + M) % N] ^ (y >> 1) ^ mag(y);
        }
        self.pos = 0;
    }

    /// `genrand_int32`.
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.twist();
        }
        let mut y = self.mt[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// numpy's `mt19937_next64`: the first 32-bit draw is the high half.
    pub fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        let lo = self.next_u32() as u64;
        (hi << 32) | lo
    }

    /// `RandomState.randint(low, high, dtype=np.uint32)` for one value, `low < high <= 2**32`.
    /// `None` when the range is empty or out of the dtype (numpy raises there).
    pub fn randint_u32(&mut self, low: u64, high: u64) -> Option<u32> {
        if low >= high || high > 1 << 32 {
            return None;
        }
        // Both fit in u32 after the checks above: `high - 1 < 2**32`.
        let off = low as u32;
        let rng = (high - 1 - low) as u32;
        Some(off.wrapping_add(self.bounded_u32(rng)))
    }

    /// `RandomState.randint(low, high, dtype=np.uint64)` for one value, `low < high <= 2**64`
    /// (`high` as u128 so that `2**64` itself is expressible).
    pub fn randint_u64(&mut self, low: u64, high: u128) -> Option<u64> {
        if (low as u128) >= high || high > 1u128 << 64 {
            return None;
        }
        let rng = (high - 1 - low as u128) as u64;
        Some(low.wrapping_add(self.bounded_u64(rng)))
    }

    /// A value in `0..=rng` as numpy's masked uint32 path draws it.
    fn bounded_u32(&mut self, rng: u32) -> u32 {
        if rng == 0 {
            return 0;
        }
        if rng == u32::MAX {
            return self.next_u32();
        }
        let mask = mask_for(rng as u64) as u32;
        loop {
            let v = self.next_u32() & mask;
            if v <= rng {
                return v;
            }
        }
    }

    /// A value in `0..=rng` as numpy's masked uint64 path draws it: ranges that fit 32 bits use 32-bit
    /// draws (one generator step each), wider ones 64-bit draws (two steps).
    fn bounded_u64(&mut self, rng: u64) -> u64 {
        if rng <= u32::MAX as u64 {
            return self.bounded_u32(rng as u32) as u64;
        }
        if rng == u64::MAX {
            return self.next_u64();
        }
        let mask = mask_for(rng);
        loop {
            let v = self.next_u64() & mask;
            if v <= rng {
                return v;
            }
        }
    }
}

/// numpy's `gen_mask`: the smallest `2**k - 1` that is `>= max`.
fn mask_for(max: u64) -> u64 {
    if max == 0 {
        0
    } else {
        u64::MAX >> max.leading_zeros()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_output_of_init_genrand_5489() {
        // The first outputs of the reference implementation's default seed.
        let mut mt = Mt19937::new(5489);
        let got: Vec<u32> = (0..3).map(|_| mt.next_u32()).collect();
        assert_eq!(got, [3_499_211_612, 581_869_302, 3_890_346_734]);
    }

    #[test]
    fn numpy_randint_uint32_seed_7() {
        // np.random.RandomState(7).randint(0, 1<<31, 4, dtype=np.uint32), then randint(0, 1<<32, 4, ...).
        let mut mt = Mt19937::new(7);
        let a: Vec<u32> = (0..4).filter_map(|_| mt.randint_u32(0, 1 << 31)).collect();
        let b: Vec<u32> = (0..4).filter_map(|_| mt.randint_u32(0, 1 << 32)).collect();
        assert_eq!(a, [327_741_615, 976_413_892, 1_202_242_073, 1_369_975_286]);
        assert_eq!(
            b,
            [1_882_953_283, 4_201_435_347, 3_107_259_287, 1_956_722_279]
        );
    }

    #[test]
    fn masks_and_empty_ranges() {
        assert_eq!(mask_for(0), 0);
        assert_eq!(mask_for(1), 1);
        assert_eq!(mask_for(5), 7);
        assert_eq!(mask_for(1 << 61), (1 << 62) - 1);
        let mut mt = Mt19937::new(1);
        assert_eq!(mt.randint_u32(3, 3), None);
        assert_eq!(mt.randint_u32(0, (1 << 32) + 1), None);
        assert_eq!(mt.randint_u64(0, (1u128 << 64) + 1), None);
        assert_eq!(mt.randint_u64(9, 10), Some(9));
    }
}
