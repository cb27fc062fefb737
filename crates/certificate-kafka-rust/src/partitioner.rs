//! Java's `Utils.murmur2` and its key partitioning, so that a key lands on the
//! partition a Java or kafkajs producer (the NestJS service's, docs/contract.md) would choose.

use kafka::client::ProduceMessage;
use kafka::producer::{Partitioner, Topics};

/// Kafka's murmur2 (seed 0x9747b28c), byte for byte as in the Java client.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h = SEED ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, byte) in tail.iter().enumerate().rev() {
            h ^= u32::from(*byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition Java's default partitioner picks for a key.
pub fn partition_for(key: &[u8], partitions: u32) -> i32 {
    ((murmur2(key) & 0x7fff_ffff) as u32 % partitions) as i32
}

pub struct Murmur2Partitioner;

impl Partitioner for Murmur2Partitioner {
    fn partition(&mut self, topics: Topics<'_>, message: &mut ProduceMessage<'_, '_>) {
        if message.partition >= 0 {
            return;
        }
        let (Some(key), Some(partitions)) = (message.key, topics.partitions(message.topic)) else {
            return;
        };
        let count = partitions.num_all();
        if count > 0 {
            message.partition = partition_for(key, count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from the Java client's own test of `Utils.murmur2`.
    #[test]
    fn matches_the_java_client() {
        assert_eq!(murmur2(b"21"), -973_932_308);
        assert_eq!(murmur2(b"foobar"), -790_332_482);
        assert_eq!(murmur2(b"a-little-bit-long-string"), -985_981_536);
        assert_eq!(murmur2(b"a-little-bit-longer-string"), -1_486_304_829);
        assert_eq!(murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58_897_971);
        assert_eq!(murmur2(b"abc"), 479_470_107);
    }

    #[test]
    fn partitions_are_the_positive_hash_modulo_the_count() {
        assert_eq!(partition_for(b"21", 1), 0);
        assert_eq!(partition_for(b"21", 7), ((-973_932_308_i32 & 0x7fff_ffff) as u32 % 7) as i32);
    }
}
