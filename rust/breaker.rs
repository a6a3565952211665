//! A lock-free circuit breaker: closed -> open after consecutive failures, half-open after a
//! recovery time, closed again after a successful trial call.
//!
//! The whole state (phase + a count) is one `AtomicU64`, changed only by compare-and-swap, so
//! every transition happens exactly once however many threads race for it. The time the
//! breaker opened lives in a second atomic; to publish it together with the state, the
//! thread that wins the transition goes through a private `Opening` phase (which behaves as
//! open), writes the time, then stores `Open`. Nobody waits on that thread: a caller that
//! sees `Opening` is simply refused, as it would be by an open breaker.
//!
//! Rules (the pure-Python backend, `_purepy/breaker.py`, follows the same ones):
//! - closed: `allow()` is true; `failure_threshold` consecutive failures open the breaker;
//!   a success resets the count.
//! - open: `allow()` is false until `recovery_time` seconds have passed since it opened; the
//!   first `allow()` after that moves it to half-open and is the first trial call.
//! - half-open: `allow()` is true for at most `half_open_max_calls` trial calls in all; a
//!   success closes the breaker, a failure opens it again (for another `recovery_time`).
//! - Outcomes reported while open are ignored (they belong to calls made before it opened).
//!
//! The clock is whatever the caller passes: seconds as `f64` from any monotonic source.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

const CLOSED: u64 = 0;
const OPEN: u64 = 1;
const HALF_OPEN: u64 = 2;
/// Open, but the opening time is still being written.
const OPENING: u64 = 3;

/// `count` is the consecutive failures when closed, the trial calls let through when half-open.
fn word(phase: u64, count: u64) -> u64 {
    (count << 2) | phase
}

fn phase(word: u64) -> u64 {
    word & 3
}

fn count(word: u64) -> u64 {
    word >> 2
}

/// The observable state of a breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    /// `"closed"`, `"open"` or `"half_open"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

/// Why a breaker could not be configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerConfigError {
    FailureThreshold,
    RecoveryTime,
    HalfOpenMaxCalls,
}

/// Seconds on a process-wide monotonic clock (`CLOCK_MONOTONIC` on Linux, like Python's
/// `time.monotonic`, from an arbitrary origin).
pub fn monotonic_seconds() -> f64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// A circuit breaker shared by any number of threads (see the module docs).
#[derive(Debug)]
pub struct CircuitBreaker {
    failure_threshold: u64,
    recovery_time: f64,
    half_open_max_calls: u64,
    state: AtomicU64,
    /// Bits of the `f64` time at which the breaker last opened.
    opened_at: AtomicU64,
}

impl CircuitBreaker {
    /// A closed breaker. `failure_threshold` and `half_open_max_calls` must be at least 1,
    /// `recovery_time` finite and >= 0 seconds.
    pub fn new(
        failure_threshold: u64,
        recovery_time: f64,
        half_open_max_calls: u64,
    ) -> Result<Self, BreakerConfigError> {
        if failure_threshold == 0 {
            return Err(BreakerConfigError::FailureThreshold);
        }
        if !(recovery_time.is_finite() && recovery_time >= 0.0) {
            return Err(BreakerConfigError::RecoveryTime);
        }
        if half_open_max_calls == 0 {
            return Err(BreakerConfigError::HalfOpenMaxCalls);
        }
        // The count shares a word with the phase: 62 bits are plenty for any real setting.
        let limit = u64::MAX >> 2;
        Ok(Self {
            failure_threshold: failure_threshold.min(limit),
            recovery_time,
            half_open_max_calls: half_open_max_calls.min(limit),
            state: AtomicU64::new(word(CLOSED, 0)),
            opened_at: AtomicU64::new(0f64.to_bits()),
        })
    }

    pub fn failure_threshold(&self) -> u64 {
        self.failure_threshold
    }

    pub fn recovery_time(&self) -> f64 {
        self.recovery_time
    }

    pub fn half_open_max_calls(&self) -> u64 {
        self.half_open_max_calls
    }

    /// The current state. An open breaker whose recovery time has passed still reads `Open`
    /// until the next [`allow`](Self::allow_at) moves it on.
    pub fn state(&self) -> BreakerState {
        match phase(self.state.load(Ordering::Acquire)) {
            CLOSED => BreakerState::Closed,
            HALF_OPEN => BreakerState::HalfOpen,
            _ => BreakerState::Open,
        }
    }

    fn swap(&self, current: u64, new: u64) -> Result<u64, u64> {
        self.state
            .compare_exchange_weak(current, new, Ordering::AcqRel, Ordering::Acquire)
    }

    /// May a call go ahead now? `now` is read only when the breaker is open.
    pub fn allow_at<E>(&self, now: impl FnOnce() -> Result<f64, E>) -> Result<bool, E> {
        let mut now = Some(now);
        let mut time = None;
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let next = match phase(current) {
                CLOSED => return Ok(true),
                OPENING => return Ok(false),
                OPEN => {
                    let time = match time {
                        Some(time) => time,
                        None => *time.insert((now.take().expect("read once"))()?),
                    };
                    let opened_at = f64::from_bits(self.opened_at.load(Ordering::Acquire));
                    if time - opened_at < self.recovery_time {
                        return Ok(false);
                    }
                    word(HALF_OPEN, 1)
                }
                _ => {
                    if count(current) >= self.half_open_max_calls {
                        return Ok(false);
                    }
                    word(HALF_OPEN, count(current) + 1)
                }
            };
            match self.swap(current, next) {
                Ok(_) => return Ok(true),
                Err(actual) => current = actual,
            }
        }
    }

    /// A call succeeded: reset the failure count, or close a half-open breaker.
    pub fn record_success(&self) {
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let closes = match phase(current) {
                CLOSED => count(current) != 0,
                HALF_OPEN => true,
                _ => return,
            };
            if !closes {
                return;
            }
            match self.swap(current, word(CLOSED, 0)) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// A call failed: count it, opening the breaker at the threshold or from half-open.
    /// `now` is read only when this failure opens the breaker.
    pub fn record_failure_at<E>(&self, now: impl FnOnce() -> Result<f64, E>) -> Result<(), E> {
        let mut now = Some(now);
        let mut time = None;
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let failures = count(current) + 1;
            let opens = match phase(current) {
                CLOSED => failures >= self.failure_threshold,
                HALF_OPEN => true,
                _ => return Ok(()),
            };
            if !opens {
                match self.swap(current, word(CLOSED, failures)) {
                    Ok(_) => return Ok(()),
                    Err(actual) => current = actual,
                }
                continue;
            }
            // Read the clock before taking the transition, so that a failing clock leaves
            // the breaker as it was.
            let time = match time {
                Some(time) => time,
                None => *time.insert((now.take().expect("read once"))()?),
            };
            match self.swap(current, word(OPENING, 0)) {
                Ok(_) => {
                    self.opened_at.store(time.to_bits(), Ordering::Release);
                    self.state.store(word(OPEN, 0), Ordering::Release);
                    return Ok(());
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// [`allow_at`](Self::allow_at) on [`monotonic_seconds`].
    pub fn allow(&self) -> bool {
        self.allow_at(|| Ok::<_, std::convert::Infallible>(monotonic_seconds()))
            .unwrap_or_else(|never| match never {})
    }

    /// [`record_failure_at`](Self::record_failure_at) on [`monotonic_seconds`].
    pub fn record_failure(&self) {
        self.record_failure_at(|| Ok::<_, std::convert::Infallible>(monotonic_seconds()))
            .unwrap_or_else(|never| match never {})
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::thread;

    use super::*;

    fn at(time: f64) -> impl FnOnce() -> Result<f64, Infallible> {
        move || Ok(time)
    }

    fn allow(breaker: &CircuitBreaker, time: f64) -> bool {
        breaker.allow_at(at(time)).unwrap()
    }

    fn fail(breaker: &CircuitBreaker, time: f64) {
        breaker.record_failure_at(at(time)).unwrap()
    }

    #[test]
    fn opens_after_consecutive_failures_and_recovers() {
        let breaker = CircuitBreaker::new(3, 10.0, 1).unwrap();
        fail(&breaker, 0.0);
        fail(&breaker, 0.0);
        breaker.record_success(); // resets the count
        fail(&breaker, 1.0);
        fail(&breaker, 1.0);
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert!(allow(&breaker, 1.0));
        fail(&breaker, 2.0);
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!allow(&breaker, 11.9));
        assert!(allow(&breaker, 12.0));
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(!allow(&breaker, 12.0)); // one trial only
        breaker.record_success();
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn a_failed_trial_reopens_for_another_recovery_time() {
        let breaker = CircuitBreaker::new(1, 5.0, 2).unwrap();
        fail(&breaker, 0.0);
        assert!(allow(&breaker, 5.0));
        assert!(allow(&breaker, 5.0));
        assert!(!allow(&breaker, 5.0));
        fail(&breaker, 6.0);
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!allow(&breaker, 10.9));
        assert!(allow(&breaker, 11.0));
    }

    #[test]
    fn the_clock_is_read_only_when_needed() {
        let breaker = CircuitBreaker::new(2, 1.0, 1).unwrap();
        let unreadable = || -> Result<f64, &str> { Err("no clock") };
        assert_eq!(breaker.allow_at(unreadable), Ok(true));
        assert_eq!(breaker.record_failure_at(unreadable), Ok(()));
        // This failure would open the breaker: a failing clock leaves it closed.
        assert_eq!(breaker.record_failure_at(unreadable), Err("no clock"));
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn configuration_is_checked() {
        assert_eq!(
            CircuitBreaker::new(0, 1.0, 1).unwrap_err(),
            BreakerConfigError::FailureThreshold
        );
        assert_eq!(
            CircuitBreaker::new(1, f64::NAN, 1).unwrap_err(),
            BreakerConfigError::RecoveryTime
        );
        assert_eq!(
            CircuitBreaker::new(1, 1.0, 0).unwrap_err(),
            BreakerConfigError::HalfOpenMaxCalls
        );
    }

    #[test]
    fn half_open_lets_exactly_the_allowed_trials_through_under_threads() {
        for _ in 0..50 {
            let breaker = Arc::new(CircuitBreaker::new(1, 1.0, 3).unwrap());
            fail(&breaker, 0.0);
            let allowed = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    let (breaker, allowed) = (Arc::clone(&breaker), Arc::clone(&allowed));
                    thread::spawn(move || {
                        for _ in 0..100 {
                            if allow(&breaker, 2.0) {
                                allowed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
            assert_eq!(allowed.load(Ordering::Relaxed), 3);
        }
    }

    #[test]
    fn concurrent_failures_open_it_once() {
        let breaker = Arc::new(CircuitBreaker::new(100, 60.0, 1).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let breaker = Arc::clone(&breaker);
                thread::spawn(move || {
                    for i in 0..50 {
                        fail(&breaker, f64::from(t * 100 + i));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!allow(&breaker, 0.0));
        assert!(allow(&breaker, 1000.0));
    }

    #[test]
    fn the_default_clock_is_monotonic() {
        let breaker = CircuitBreaker::new(1, 0.0, 1).unwrap();
        breaker.record_failure();
        assert!(breaker.allow());
        assert!(monotonic_seconds() >= 0.0);
    }
}
