//! Time for the samplers that count spans per second, injectable so tests and simulations
//! need no sleeps.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A source of time for [`RateLimiter`](super::RateLimiter) and [`Adaptive`](super::Adaptive):
/// the time elapsed since an origin the clock chooses. It may jump forwards, and samplers
/// stay correct if it steps backwards.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tctx::sampler::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_millis(1500));
/// assert_eq!(clock.now(), Duration::from_millis(1500));
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// The time elapsed since this clock's origin.
    fn now(&self) -> Duration;
}

/// One clock shared by several limiters or samplers (as the configuration shares one between
/// the limiters of a sampler).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use tctx::sampler::{Clock, ManualClock, RateLimiter};
///
/// let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
/// let a = RateLimiter::new(10.0)?.with_clock(Arc::clone(&clock));
/// let b = RateLimiter::new(20.0)?.with_clock(clock);
/// # let _ = (a, b);
/// # Ok::<(), tctx::sampler::RateError>(())
/// ```
impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

/// The default clock: `std::time::Instant`, monotonic, measured from the first time any
/// `MonotonicClock` was read in this process.
///
/// # Examples
///
/// ```
/// use tctx::sampler::{Clock, MonotonicClock};
///
/// let (a, b) = (MonotonicClock.now(), MonotonicClock.now());
/// assert!(b >= a);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MonotonicClock;

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }
}

/// A clock that moves only when told to: for tests and simulations. Clones share the time.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tctx::sampler::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let shared = clock.clone();
/// clock.set(Duration::from_secs(10));
/// shared.set(Duration::from_secs(9)); // a clock may step backwards
/// assert_eq!(clock.now(), Duration::from_secs(9));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at time zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{Clock, ManualClock};
    ///
    /// assert_eq!(ManualClock::new().now().as_nanos(), 0);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the time (saturating at about 584 years).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tctx::sampler::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// clock.set(Duration::from_secs(3));
    /// assert_eq!(clock.now(), Duration::from_secs(3));
    /// ```
    pub fn set(&self, now: Duration) {
        self.nanos.store(nanos(now), Ordering::Relaxed);
    }

    /// Moves the time forwards by `step`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tctx::sampler::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// clock.advance(Duration::from_millis(250));
    /// clock.advance(Duration::from_millis(250));
    /// assert_eq!(clock.now(), Duration::from_millis(500));
    /// ```
    pub fn advance(&self, step: Duration) {
        let step = nanos(step);
        let _ = self
            .nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                Some(now.saturating_add(step))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

/// `duration` in nanoseconds, saturating at `u64::MAX` (about 584 years).
pub(crate) fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// The time since `clock`'s origin in nanoseconds, saturating.
pub(crate) fn now_nanos(clock: &dyn Clock) -> u64 {
    nanos(clock.now())
}
