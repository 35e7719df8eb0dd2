//! Random streams (docs/model.md): every draw of a replication comes from a ChaCha8 generator
//! seeded from (scenario seed, replication index, component key, purpose). Streams are
//! keyed by stable hashes of component ids, never by position or thread, so layouts of a
//! scenario share failures and adding a pool does not change the draws of the others.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// What a stream is used for; part of its key, so two purposes never share draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Failures and repairs of a component.
    Failures,
    /// Client delays (detect, retry) and SRV order of a Front End pool's users.
    Clients,
    /// The administrator's response to one incident (the number is the incident's).
    AdministratorResponse(u64),
    /// The connect timeouts of one walk of one cohort (the number is a draw of the FE
    /// pool's `Clients` stream taken when the walk starts).
    Walk(u64),
    /// The administrator's decision, failover and failback after one loss of a Front End
    /// pool (the number is the loss's, rules D1, D2).
    PoolRecovery(u64),
}

impl Purpose {
    fn code(self) -> u64 {
        match self {
            Purpose::Failures => 0x0001,
            Purpose::Clients => 0x0002,
            Purpose::AdministratorResponse(incident) => 0x0003 ^ (incident << 8),
            Purpose::Walk(walk) => 0x0004 ^ (walk << 8),
            Purpose::PoolRecovery(loss) => 0x0005 ^ (loss << 8),
        }
    }
}

/// SplitMix64's finaliser: a bijective mix with good avalanche (Steele et al., 2014).
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A random stream.
pub struct Stream {
    generator: ChaCha8Rng,
}

impl Stream {
    /// The stream of `purpose` for the component with `component_key`, in replication
    /// `replication` of a run seeded with `seed`.
    pub fn new(seed: u64, replication: u64, component_key: u64, purpose: Purpose) -> Self {
        let mut state = mix64(seed ^ 0x6564_6765_7369_6d00); // "edgesim\0"
        state = mix64(state ^ replication);
        state = mix64(state ^ component_key);
        state = mix64(state ^ purpose.code());
        let mut key = [0u8; 32];
        for (i, chunk) in key.chunks_exact_mut(8).enumerate() {
            let word =
                mix64(state.wrapping_add((i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        Stream {
            generator: ChaCha8Rng::from_seed(key),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.generator.next_u64()
    }

    /// A uniform number in the open interval (0, 1), with 53 random bits.
    pub fn open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_gives_the_same_draws() {
        let mut a = Stream::new(7, 3, 11, Purpose::Failures);
        let mut b = Stream::new(7, 3, 11, Purpose::Failures);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn any_part_of_the_key_changes_the_draws() {
        let first = |seed, replication, component, purpose| {
            Stream::new(seed, replication, component, purpose).next_u64()
        };
        let base = first(7, 3, 11, Purpose::Failures);
        assert_ne!(base, first(8, 3, 11, Purpose::Failures));
        assert_ne!(base, first(7, 4, 11, Purpose::Failures));
        assert_ne!(base, first(7, 3, 12, Purpose::Failures));
        assert_ne!(base, first(7, 3, 11, Purpose::Clients));
        assert_ne!(
            first(7, 3, 11, Purpose::AdministratorResponse(1)),
            first(7, 3, 11, Purpose::AdministratorResponse(2))
        );
    }

    #[test]
    fn open01_stays_inside_the_interval_with_mean_one_half() {
        let mut stream = Stream::new(1, 0, 0, Purpose::Clients);
        let n = 100_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let u = stream.open01();
            assert!(u > 0.0 && u < 1.0);
            sum += u;
        }
        // Standard error of the mean of U(0,1): sqrt(1/12/n) = 0.000913; 4 SE tolerance.
        assert!((sum / n as f64 - 0.5).abs() < 4.0 * (1.0f64 / 12.0 / n as f64).sqrt());
    }
}
