//! Run-time choice of the byte-scanning kernels: AVX2 or SSE2 on x86-64, NEON on aarch64,
//! portable scalar code elsewhere or when `FLUENT_AI_SIMD=off` (so the scalar path can be
//! tested on any machine). The level is chosen once per process.

use std::sync::OnceLock;

/// The kernel family in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimdLevel {
    Avx2,
    Sse2,
    Neon,
    Scalar,
}

impl SimdLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Avx2 => "avx2",
            Self::Sse2 => "sse2",
            Self::Neon => "neon",
            Self::Scalar => "scalar",
        }
    }
}

/// The level chosen for this process: `FLUENT_AI_SIMD=off` (or `scalar`) forces scalar code.
pub fn level() -> SimdLevel {
    static LEVEL: OnceLock<SimdLevel> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let forced_off = std::env::var("FLUENT_AI_SIMD")
            .map(|v| {
                matches!(
                    v.trim().to_ascii_lowercase().as_str(),
                    "off" | "scalar" | "0"
                )
            })
            .unwrap_or(false);
        if forced_off {
            SimdLevel::Scalar
        } else {
            detect()
        }
    })
}

#[cfg(target_arch = "x86_64")]
fn detect() -> SimdLevel {
    if is_x86_feature_detected!("avx2") {
        SimdLevel::Avx2
    } else {
        // SSE2 is part of the x86-64 baseline.
        SimdLevel::Sse2
    }
}

#[cfg(target_arch = "aarch64")]
fn detect() -> SimdLevel {
    // NEON is part of the aarch64 baseline.
    SimdLevel::Neon
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn detect() -> SimdLevel {
    SimdLevel::Scalar
}

/// Finds the first CR or LF: the end of an SSE line.
pub fn find_cr_or_lf(haystack: &[u8]) -> Option<usize> {
    match level() {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => memchr::arch::x86_64::avx2::memchr::Two::new(b'\r', b'\n')
            .and_then(|finder| finder.find(haystack)),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Sse2 => memchr::arch::x86_64::sse2::memchr::Two::new(b'\r', b'\n')
            .and_then(|finder| finder.find(haystack)),
        #[cfg(target_arch = "aarch64")]
        SimdLevel::Neon => memchr::arch::aarch64::neon::memchr::Two::new(b'\r', b'\n')
            .and_then(|finder| finder.find(haystack)),
        _ => haystack.iter().position(|&b| b == b'\r' || b == b'\n'),
    }
}

/// Finds the first LF: the end of an NDJSON line.
pub fn find_lf(haystack: &[u8]) -> Option<usize> {
    match level() {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => memchr::arch::x86_64::avx2::memchr::One::new(b'\n')
            .and_then(|finder| finder.find(haystack)),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Sse2 => memchr::arch::x86_64::sse2::memchr::One::new(b'\n')
            .and_then(|finder| finder.find(haystack)),
        #[cfg(target_arch = "aarch64")]
        SimdLevel::Neon => memchr::arch::aarch64::neon::memchr::One::new(b'\n')
            .and_then(|finder| finder.find(haystack)),
        _ => haystack.iter().position(|&b| b == b'\n'),
    }
}

/// Length of the plain run at the start of a JSON string body: the index of the first `"`,
/// `\` or control byte (< 0x20), or `haystack.len()` if there is none.
pub fn string_run_len(haystack: &[u8]) -> usize {
    match level() {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => {
            // SAFETY: `level()` returns Avx2 only after `is_x86_feature_detected!("avx2")`
            // said the running CPU supports it.
            unsafe { x86::string_run_len_avx2(haystack) }
        }
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Sse2 => x86::string_run_len_sse2(haystack),
        #[cfg(target_arch = "aarch64")]
        SimdLevel::Neon => arm::string_run_len_neon(haystack),
        _ => string_run_len_scalar(haystack),
    }
}

#[inline]
fn is_string_special(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

fn string_run_len_scalar(haystack: &[u8]) -> usize {
    haystack
        .iter()
        .position(|&b| is_string_special(b))
        .unwrap_or(haystack.len())
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::string_run_len_scalar;
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn string_run_len_avx2(haystack: &[u8]) -> usize {
        let quote = _mm256_set1_epi8(b'"' as i8);
        let backslash = _mm256_set1_epi8(b'\\' as i8);
        // Bytes below 0x20 are exactly those equal to their own minimum with 0x1f.
        let control_max = _mm256_set1_epi8(0x1f);
        let mut offset = 0;
        while offset + 32 <= haystack.len() {
            // SAFETY: `offset + 32 <= len`, so the 32 bytes read are inside the slice;
            // `loadu` has no alignment requirement.
            let block = _mm256_loadu_si256(haystack.as_ptr().add(offset) as *const __m256i);
            let special = _mm256_or_si256(
                _mm256_or_si256(
                    _mm256_cmpeq_epi8(block, quote),
                    _mm256_cmpeq_epi8(block, backslash),
                ),
                _mm256_cmpeq_epi8(_mm256_min_epu8(block, control_max), block),
            );
            let mask = _mm256_movemask_epi8(special) as u32;
            if mask != 0 {
                return offset + mask.trailing_zeros() as usize;
            }
            offset += 32;
        }
        offset + string_run_len_scalar(&haystack[offset..])
    }

    pub fn string_run_len_sse2(haystack: &[u8]) -> usize {
        let mut offset = 0;
        // SAFETY: SSE2 is part of the x86-64 baseline, so these intrinsics are always
        // available; each load reads 16 bytes at `offset` with `offset + 16 <= len`, inside
        // the slice, and `loadu` has no alignment requirement.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let backslash = _mm_set1_epi8(b'\\' as i8);
            let control_max = _mm_set1_epi8(0x1f);
            while offset + 16 <= haystack.len() {
                let block = _mm_loadu_si128(haystack.as_ptr().add(offset) as *const __m128i);
                let special = _mm_or_si128(
                    _mm_or_si128(
                        _mm_cmpeq_epi8(block, quote),
                        _mm_cmpeq_epi8(block, backslash),
                    ),
                    _mm_cmpeq_epi8(_mm_min_epu8(block, control_max), block),
                );
                let mask = _mm_movemask_epi8(special) as u32;
                if mask != 0 {
                    return offset + mask.trailing_zeros() as usize;
                }
                offset += 16;
            }
        }
        offset + string_run_len_scalar(&haystack[offset..])
    }
}

#[cfg(target_arch = "aarch64")]
mod arm {
    use super::string_run_len_scalar;
    use std::arch::aarch64::*;

    pub fn string_run_len_neon(haystack: &[u8]) -> usize {
        let mut offset = 0;
        // SAFETY: NEON is part of the aarch64 baseline; each load reads 16 bytes at `offset`
        // with `offset + 16 <= len`, inside the slice, and `vld1q_u8` needs no alignment.
        unsafe {
            let quote = vdupq_n_u8(b'"');
            let backslash = vdupq_n_u8(b'\\');
            let space = vdupq_n_u8(0x20);
            while offset + 16 <= haystack.len() {
                let block = vld1q_u8(haystack.as_ptr().add(offset));
                let special = vorrq_u8(
                    vorrq_u8(vceqq_u8(block, quote), vceqq_u8(block, backslash)),
                    vcltq_u8(block, space),
                );
                if vmaxvq_u8(special) != 0 {
                    return offset + string_run_len_scalar(&haystack[offset..offset + 16]);
                }
                offset += 16;
            }
        }
        offset + string_run_len_scalar(&haystack[offset..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_run_len_matches_scalar_on_every_position() {
        for len in 0..100 {
            for special_at in 0..=len {
                for special in [b'"', b'\\', 0x00, 0x1f] {
                    let mut bytes = vec![b'a'; len];
                    bytes.extend_from_slice("é€".as_bytes());
                    if special_at < len {
                        bytes[special_at] = special;
                    }
                    assert_eq!(string_run_len(&bytes), string_run_len_scalar(&bytes));
                }
            }
        }
    }

    #[test]
    fn bytes_0x20_and_high_bytes_are_not_special() {
        let bytes: Vec<u8> = (0x20..=0xffu8)
            .filter(|&b| b != b'"' && b != b'\\')
            .collect();
        assert_eq!(string_run_len(&bytes), bytes.len());
        assert_eq!(string_run_len_scalar(&bytes), bytes.len());
    }

    #[test]
    fn line_end_finders_agree_with_scalar() {
        let text = b"data: hello world, this line is long enough for simd\r\nmore\nx";
        assert_eq!(find_cr_or_lf(text), Some(52));
        assert_eq!(find_lf(text), Some(53));
        assert_eq!(
            find_cr_or_lf(b"no line end at all, none whatsoever here"),
            None
        );
    }
}
