//! Run-time choice of the byte-scanning kernels: AVX2 or SSE2 on x86-64, NEON on aarch64,
//! portable scalar code elsewhere. `FLUENT_AI_SIMD` may force a level (so every kernel the
//! CPU has can be tested on one machine): `auto` or empty (detect, the default), `avx2`,
//! `sse2`, `neon`, `scalar` or `off`. Any other value, or a level this CPU lacks, is an error
//! that the Python module raises at import (`ValueError`, see `selected`). The level is chosen
//! once per process.

use std::sync::OnceLock;

/// The environment variable that forces a kernel level.
pub const VARIABLE: &str = "FLUENT_AI_SIMD";

/// The values `FLUENT_AI_SIMD` accepts, as error messages list them.
pub const CHOICES: &str = "auto, avx2, sse2, neon, scalar, off (empty means auto)";

/// The kernel family in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimdLevel {
    Avx2,
    Sse2,
    Neon,
    Scalar,
}

impl SimdLevel {
    pub const ALL: [SimdLevel; 4] = [Self::Avx2, Self::Sse2, Self::Neon, Self::Scalar];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Avx2 => "avx2",
            Self::Sse2 => "sse2",
            Self::Neon => "neon",
            Self::Scalar => "scalar",
        }
    }

    /// Whether the running CPU can execute this level's kernels.
    pub fn is_supported(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => is_x86_feature_detected!("avx2"),
            // SSE2 is part of the x86-64 baseline, NEON of the aarch64 one.
            Self::Sse2 => cfg!(target_arch = "x86_64"),
            Self::Neon => cfg!(target_arch = "aarch64"),
            Self::Scalar => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}

/// The levels the running CPU supports, fastest first (`Scalar` always last).
pub fn supported_levels() -> Vec<SimdLevel> {
    SimdLevel::ALL
        .into_iter()
        .filter(|level| level.is_supported())
        .collect()
}

/// What a value of `FLUENT_AI_SIMD` asks for: `Ok(None)` to detect, `Ok(Some(level))` to force
/// one, `Err` (naming the variable and the valid values) for anything else. Case and the
/// surrounding whitespace do not matter.
pub fn parse_setting(value: &str) -> Result<Option<SimdLevel>, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "auto" => Ok(None),
        "avx2" => Ok(Some(SimdLevel::Avx2)),
        "sse2" => Ok(Some(SimdLevel::Sse2)),
        "neon" => Ok(Some(SimdLevel::Neon)),
        "scalar" | "off" => Ok(Some(SimdLevel::Scalar)),
        _ => Err(format!(
            "{VARIABLE}='{}' is not a SIMD level; expected one of: {CHOICES}",
            value.escape_debug()
        )),
    }
}

/// The level for a setting (`None`: the variable is unset): the forced level if the CPU
/// supports it, else the best level it supports; `Err` for a bad value or a missing level.
pub fn choose(setting: Option<&str>) -> Result<SimdLevel, String> {
    let Some(level) = parse_setting(setting.unwrap_or(""))? else {
        return Ok(detect());
    };
    if level.is_supported() {
        return Ok(level);
    }
    let available: Vec<&str> = supported_levels()
        .into_iter()
        .map(SimdLevel::as_str)
        .collect();
    Err(format!(
        "{VARIABLE}='{}' asks for {} kernels, which this CPU ({}) lacks; it supports: {}",
        setting.unwrap_or("").escape_debug(),
        level.as_str(),
        std::env::consts::ARCH,
        available.join(", ")
    ))
}

/// The level chosen for this process from `FLUENT_AI_SIMD`, or why the variable's value is
/// refused. The Python module raises the error at import, so its kernels never run with it.
pub fn selected() -> Result<SimdLevel, &'static str> {
    static SELECTED: OnceLock<Result<SimdLevel, String>> = OnceLock::new();
    let chosen = SELECTED.get_or_init(|| match std::env::var(VARIABLE) {
        Ok(value) => choose(Some(&value)),
        Err(std::env::VarError::NotPresent) => choose(None),
        Err(std::env::VarError::NotUnicode(value)) => Err(format!(
            "{VARIABLE}={value:?} (not UTF-8) is not a SIMD level; expected one of: {CHOICES}"
        )),
    });
    match chosen {
        Ok(level) => Ok(*level),
        Err(message) => Err(message.as_str()),
    }
}

/// The level in use: the selected one, or scalar code when the setting was refused (the
/// Python module never gets that far; Rust callers get the always-correct portable code).
pub fn level() -> SimdLevel {
    kernels().level()
}

fn kernels() -> Kernels {
    static KERNELS: OnceLock<Kernels> = OnceLock::new();
    *KERNELS.get_or_init(|| {
        let level = selected().unwrap_or(SimdLevel::Scalar);
        Kernels::new(level).unwrap_or(Kernels(SimdLevel::Scalar))
    })
}

#[cfg(target_arch = "x86_64")]
fn detect() -> SimdLevel {
    if SimdLevel::Avx2.is_supported() {
        SimdLevel::Avx2
    } else {
        SimdLevel::Sse2
    }
}

#[cfg(target_arch = "aarch64")]
fn detect() -> SimdLevel {
    SimdLevel::Neon
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn detect() -> SimdLevel {
    SimdLevel::Scalar
}

/// Finds the first CR or LF: the end of an SSE line.
#[inline]
pub fn find_cr_or_lf(haystack: &[u8]) -> Option<usize> {
    kernels().find_cr_or_lf(haystack)
}

/// Finds the first LF: the end of an NDJSON line.
#[inline]
pub fn find_lf(haystack: &[u8]) -> Option<usize> {
    kernels().find_lf(haystack)
}

/// Length of the plain run at the start of a JSON string body: the index of the first `"`,
/// `\` or control byte (< 0x20), or `haystack.len()` if there is none.
#[inline]
pub fn string_run_len(haystack: &[u8]) -> usize {
    kernels().string_run_len(haystack)
}

/// The kernels of one level that the running CPU was checked to support: the only way to
/// reach them, so that no kernel runs on a CPU without its instructions. Tests build one per
/// supported level and compare each with the scalar code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernels(SimdLevel);

impl Kernels {
    /// The kernels of `level`, or `None` if this CPU lacks it.
    pub fn new(level: SimdLevel) -> Option<Self> {
        level.is_supported().then_some(Self(level))
    }

    pub fn level(self) -> SimdLevel {
        self.0
    }

    /// Finds the first CR or LF.
    #[inline]
    pub fn find_cr_or_lf(self, haystack: &[u8]) -> Option<usize> {
        match self.0 {
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

    /// Finds the first LF.
    #[inline]
    pub fn find_lf(self, haystack: &[u8]) -> Option<usize> {
        match self.0 {
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

    /// The index of the first `"`, `\` or control byte, or `haystack.len()`.
    #[inline]
    pub fn string_run_len(self, haystack: &[u8]) -> usize {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2 => {
                // SAFETY: a `Kernels(Avx2)` exists only after `is_x86_feature_detected!("avx2")`
                // said the running CPU supports AVX2 (`Kernels::new`).
                unsafe { x86::string_run_len_avx2(haystack) }
            }
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Sse2 => x86::string_run_len_sse2(haystack),
            #[cfg(target_arch = "aarch64")]
            SimdLevel::Neon => arm::string_run_len_neon(haystack),
            _ => string_run_len_scalar(haystack),
        }
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

    /// The rule, written independently of the kernels' helpers.
    fn reference_run_len(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(bytes.len())
    }

    /// Every level this CPU supports, each run explicitly (not only the one `level()` chose).
    fn every_kernel() -> Vec<Kernels> {
        let kernels: Vec<Kernels> = SimdLevel::ALL
            .into_iter()
            .filter_map(Kernels::new)
            .collect();
        // The test must not pass by testing less than the platform has.
        #[cfg(target_arch = "x86_64")]
        {
            assert!(kernels.contains(&Kernels(SimdLevel::Sse2)));
            assert_eq!(
                kernels.contains(&Kernels(SimdLevel::Avx2)),
                is_x86_feature_detected!("avx2")
            );
        }
        #[cfg(target_arch = "aarch64")]
        assert!(kernels.contains(&Kernels(SimdLevel::Neon)));
        assert!(kernels.contains(&Kernels(SimdLevel::Scalar)));
        kernels
    }

    /// Bytes around the plain run: printable ASCII, the edges of the special range, and high
    /// bytes (a signed comparison would take 0x80..=0xff for control bytes).
    const FILLERS: [u8; 12] = [
        b'a', b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0x9f, 0xc3, 0xe2, 0xff,
    ];

    #[test]
    fn every_byte_at_every_position_of_16_32_and_64_byte_windows() {
        for kernel in every_kernel() {
            for window in [16, 32, 64] {
                // Also one byte short and one byte past each window: the scalar tail.
                for len in [window - 1, window, window + 1] {
                    for filler in FILLERS {
                        for position in 0..len {
                            for byte in 0..=255u8 {
                                let mut bytes = vec![filler; len];
                                bytes[position] = byte;
                                assert_eq!(
                                    kernel.string_run_len(&bytes),
                                    reference_run_len(&bytes),
                                    "{kernel:?}, len {len}, filler {filler:#x}, \
                                     byte {byte:#x} at {position}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_first_of_two_special_bytes_is_found() {
        let specials = [b'"', b'\\', 0x00, 0x01, 0x0a, 0x1f];
        for kernel in every_kernel() {
            for len in [16, 31, 32, 33, 48, 64, 65] {
                for first in 0..len {
                    for second in first..len {
                        for (a, b) in [(0, 1), (2, 3), (5, 4), (1, 2)] {
                            let mut bytes = vec![0xe9; len];
                            bytes[second] = specials[b];
                            bytes[first] = specials[a];
                            assert_eq!(
                                kernel.string_run_len(&bytes),
                                first,
                                "{kernel:?}, len {len}, {first} and {second}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_start_offset_and_length_up_to_200() {
        // Unaligned starts and every tail length, with a real UTF-8 text around.
        let text = "plain text é€ 😀 ".repeat(20);
        for kernel in every_kernel() {
            for start in 0..40 {
                for len in 0..200 {
                    for special in [None, Some(b'"'), Some(b'\\'), Some(0x1f)] {
                        let mut bytes = text.as_bytes()[start..start + len].to_vec();
                        if let Some(special) = special {
                            if len > 0 {
                                bytes[len - 1] = special;
                            }
                        }
                        assert_eq!(
                            kernel.string_run_len(&bytes),
                            reference_run_len(&bytes),
                            "{kernel:?}, start {start}, len {len}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn no_byte_from_0x20_up_is_special_except_quote_and_backslash() {
        let plain: Vec<u8> = (0x20..=0xffu8)
            .filter(|&b| b != b'"' && b != b'\\')
            .collect();
        for kernel in every_kernel() {
            assert_eq!(kernel.string_run_len(&plain), plain.len(), "{kernel:?}");
            let mut reversed = plain.clone();
            reversed.reverse();
            assert_eq!(kernel.string_run_len(&reversed), plain.len(), "{kernel:?}");
        }
    }

    #[test]
    fn line_end_finders_agree_with_scalar_at_every_position() {
        for kernel in every_kernel() {
            for len in [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100] {
                for position in 0..len {
                    for byte in [b'\r', b'\n'] {
                        for filler in [b'a', 0x0b, 0x0c, 0x8a, 0x8d, 0xff] {
                            let mut bytes = vec![filler; len];
                            bytes[position] = byte;
                            let cr_or_lf = bytes.iter().position(|&b| b == b'\r' || b == b'\n');
                            let lf = bytes.iter().position(|&b| b == b'\n');
                            assert_eq!(kernel.find_cr_or_lf(&bytes), cr_or_lf, "{kernel:?}");
                            assert_eq!(kernel.find_lf(&bytes), lf, "{kernel:?}");
                        }
                    }
                }
                let none = vec![b'x'; len];
                assert_eq!(kernel.find_cr_or_lf(&none), None);
                assert_eq!(kernel.find_lf(&none), None);
            }
        }
    }

    #[test]
    fn the_process_uses_a_supported_level() {
        assert!(level().is_supported());
        assert_eq!(string_run_len(b"ab\"c"), 2);
        assert_eq!(find_lf(b"ab\ncd"), Some(2));
        assert_eq!(find_cr_or_lf(b"ab\rcd"), Some(2));
    }

    #[test]
    fn settings_are_parsed_case_and_space_insensitively() {
        let cases = [
            ("", None),
            ("auto", None),
            (" AUTO ", None),
            ("avx2", Some(SimdLevel::Avx2)),
            ("AVX2", Some(SimdLevel::Avx2)),
            ("sse2", Some(SimdLevel::Sse2)),
            ("neon", Some(SimdLevel::Neon)),
            ("scalar", Some(SimdLevel::Scalar)),
            ("off", Some(SimdLevel::Scalar)),
            ("Off\n", Some(SimdLevel::Scalar)),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_setting(value), Ok(expected), "{value:?}");
        }
    }

    #[test]
    fn unknown_settings_are_refused_naming_the_variable_and_the_choices() {
        for value in [
            "0",
            "1",
            "on",
            "avx",
            "avx512",
            "sse4.2",
            "sse",
            "fast",
            "scalar,sse2",
        ] {
            let error = parse_setting(value).unwrap_err();
            assert!(
                error.contains(&format!("FLUENT_AI_SIMD='{value}'")),
                "{error}"
            );
            assert!(error.contains(CHOICES), "{error}");
            assert!(choose(Some(value)).is_err());
        }
    }

    #[test]
    fn a_level_the_cpu_lacks_is_refused_and_a_supported_one_is_taken() {
        for level in SimdLevel::ALL {
            let chosen = choose(Some(level.as_str()));
            if level.is_supported() {
                assert_eq!(chosen, Ok(level));
            } else {
                let error = chosen.unwrap_err();
                assert!(error.contains("lacks"), "{error}");
                assert!(error.contains("scalar"), "{error}");
            }
        }
        #[cfg(target_arch = "x86_64")]
        assert!(choose(Some("neon")).unwrap_err().contains("x86_64"));
        #[cfg(target_arch = "aarch64")]
        assert!(choose(Some("sse2")).is_err());
        assert_eq!(choose(None), Ok(detect()));
        assert_eq!(choose(Some("auto")), Ok(detect()));
        assert_eq!(choose(Some("off")), Ok(SimdLevel::Scalar));
    }
}
