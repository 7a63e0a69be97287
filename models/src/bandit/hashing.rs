//! Hashing names into the weight space: FNV-1a for strings, a SplitMix64 finaliser to cross two
//! hashes and to pick a slot. Written by hand: a dozen lines, stable across platforms and
//! releases, so a snapshot's slots mean the same thing wherever it is loaded.

/// FNV-1a over `bytes`, continuing from `state` (start from [`FNV_OFFSET`] or a namespace).
pub(crate) const fn fnv1a(mut state: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        state ^= bytes[i] as u64;
        state = state.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    state
}

pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// A namespace: the hash of its name, so that `"email"` as a channel and `"email"` as a context
/// value land on different weights.
pub(crate) const fn namespace(name: &str) -> u64 {
    fnv1a(FNV_OFFSET, name.as_bytes())
}

/// SplitMix64's finaliser: a bijection on `u64` that spreads every input bit over the output.
#[inline]
pub(crate) const fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hash of the interaction of `a` with `b`. Not symmetric: `cross(a, b) != cross(b, a)` in
/// general, which is fine since every cross is always built in the same order.
#[inline]
pub(crate) const fn cross(a: u64, b: u64) -> u64 {
    finalize(a.rotate_left(5) ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// The weight slot of a feature hash in a table of `2^bits` slots: its top bits. Every feature
/// hash is a [`finalize`]d or [`cross`]ed value, so the top bits are as good as any.
#[inline]
pub(crate) const fn slot(hash: u64, bits: u8) -> usize {
    (hash >> (64 - bits as u32)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_vectors() {
        // From the FNV reference test suite.
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(FNV_OFFSET, b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn crosses_are_ordered_and_slots_stay_in_range() {
        let (a, b) = (namespace("channel"), namespace("segment"));
        assert_ne!(cross(a, b), cross(b, a));
        for i in 0..10_000u64 {
            assert!(slot(cross(a, i), 12) < 1 << 12);
        }
    }

    #[test]
    fn slots_spread_evenly() {
        let bits = 8;
        let mut counts = vec![0u32; 1 << bits];
        for i in 0..256_000u64 {
            counts[slot(cross(namespace("ctx"), i), bits)] += 1;
        }
        // 1000 expected per slot; a poor mixer leaves some slots nearly empty.
        assert!(counts.iter().all(|&c| (800..1200).contains(&c)), "{:?}", counts.iter().min());
    }
}
