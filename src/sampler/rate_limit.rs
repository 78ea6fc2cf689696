//! Rate limiting: `RateLimiter`, a lock-free token bucket, and `RateLimited`, a sampler that
//! caps another sampler's sampled spans per second.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, ShouldSample};

use super::clock::now_nanos;
use super::composable::{ComposableDelegate, SamplingIntent, SamplingParams};
use super::{
    ot_value, with_ot, Clock, ComposableSampler, Delegate, MonotonicClock, SamplerDescription,
};
use crate::probability::{Randomness, Threshold};

/// The highest rate a [`RateLimiter`] (or an [`Adaptive`](super::Adaptive) target) accepts:
/// one span per nanosecond, the resolution of its clock.
pub(crate) const MAX_PER_SECOND: f64 = 1e9;

const NANOS_PER_SECOND: f64 = 1e9;

/// A rate or burst a [`RateLimiter`] (or an [`Adaptive`](super::Adaptive) target) cannot use:
/// a rate that is not a finite number above zero and at most 10^9 per second, or a burst
/// below 1.
///
/// # Examples
///
/// ```
/// use tctx::sampler::RateLimiter;
///
/// let err = RateLimiter::new(0.0).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "rate must be a finite number above zero and at most 1e9 per second, not 0"
/// );
/// assert!(RateLimiter::new(10.0).unwrap().with_burst(0.5).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateError {
    kind: RateErrorKind,
    value: f64,
}

/// Which number a [`RateError`] rejects.
///
/// # Examples
///
/// ```
/// use tctx::sampler::{RateErrorKind, RateLimiter};
///
/// let error = RateLimiter::new(10.0)?.with_burst(0.5).unwrap_err();
/// assert_eq!(error.kind(), RateErrorKind::Burst);
/// # Ok::<(), tctx::sampler::RateError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RateErrorKind {
    /// The rate (spans per second, or an adaptive target): not a finite number above zero
    /// and at most 10^9.
    Rate,
    /// The burst: not a finite number of at least 1.
    Burst,
}

impl RateError {
    pub(crate) fn check_rate(per_second: f64) -> Result<f64, Self> {
        if per_second > 0.0 && per_second <= MAX_PER_SECOND {
            Ok(per_second)
        } else {
            Err(Self {
                kind: RateErrorKind::Rate,
                value: per_second,
            })
        }
    }

    fn check_burst(burst: f64) -> Result<f64, Self> {
        if burst.is_finite() && burst >= 1.0 {
            Ok(burst)
        } else {
            Err(Self {
                kind: RateErrorKind::Burst,
                value: burst,
            })
        }
    }

    /// The rejected rate or burst.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::RateLimiter;
    ///
    /// assert_eq!(RateLimiter::new(-1.0).unwrap_err().value(), -1.0);
    /// ```
    #[must_use]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Whether the rate or the burst was rejected.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{RateErrorKind, RateLimiter};
    ///
    /// assert_eq!(RateLimiter::new(f64::NAN).unwrap_err().kind(), RateErrorKind::Rate);
    /// ```
    #[must_use]
    pub fn kind(&self) -> RateErrorKind {
        self.kind
    }
}

impl fmt::Display for RateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            RateErrorKind::Rate => write!(
                f,
                "rate must be a finite number above zero and at most 1e9 per second, not {}",
                self.value
            ),
            RateErrorKind::Burst => write!(
                f,
                "burst must be a finite number above zero and at least 1, not {}",
                self.value
            ),
        }
    }
}

impl std::error::Error for RateError {}

/// A token bucket: at most `per_second` tokens a second on average, and at most `burst` at
/// once. Lock-free and cheap under contention: one atomic word, updated with a
/// compare-exchange when a token is taken (a refusal writes nothing, unless it repairs a step
/// back of the clock).
///
/// It is the generic cell rate algorithm (GCRA): the state is the theoretical arrival time
/// `TAT` of the next token, in nanoseconds since the clock's origin. Each token is worth an
/// emission interval `I = 1e9 / per_second` ns, rounded to the nanosecond (so a rate is exact
/// to within 0.5 ns per token: 1 part in 2000 at 10^6/s, better below); a token is granted at
/// time `now` if `max(TAT, now) <= now + (burst - 1) * I`, which then moves `TAT` on by `I`.
/// A full burst is available at the start and after idling, never more: a fractional burst
/// grants its integer part at once (a burst of 2.5 is 2 tokens), and a fractional rate is kept
/// over time (0.5/s grants one token every 2 s, 2.5/s grants 5 in 2 s).
///
/// If the clock steps backwards, `TAT` may lie further ahead than could happen with a
/// monotonic clock; it is then pulled back to `now + (burst - 1) * I + I`: the bucket stays
/// empty (no extra burst) and refills from there (no lock-out longer than one interval).
///
/// Clones share the budget (and the clock); [`with_burst`](Self::with_burst) and
/// [`with_clock`](Self::with_clock) start a new one.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tctx::sampler::{ManualClock, RateLimiter};
///
/// let clock = ManualClock::new();
/// let limiter = RateLimiter::new(2.0)?.with_burst(3.0)?.with_clock(clock.clone());
/// assert_eq!((0..10).filter(|_| limiter.try_acquire()).count(), 3); // the burst
/// clock.advance(Duration::from_millis(500));
/// assert!(limiter.try_acquire()); // one token every 500 ms
/// assert!(!limiter.try_acquire());
/// # Ok::<(), tctx::sampler::RateError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    /// `I`: nanoseconds per token, at least 1.
    interval: u64,
    /// `(burst - 1) * I`: how far ahead of `now` the theoretical arrival time may be.
    tolerance: u64,
    clock: Arc<dyn Clock>,
    /// `TAT`, in nanoseconds since the clock's origin.
    tat: Arc<AtomicU64>,
}

impl RateLimiter {
    /// `per_second` tokens a second, with a burst of one second's worth (at least 1), on the
    /// [`MonotonicClock`].
    ///
    /// # Errors
    ///
    /// When `per_second` is not a number above zero and at most 10^9.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::RateLimiter;
    ///
    /// assert_eq!(RateLimiter::new(100.0)?.burst(), 100.0);
    /// assert_eq!(RateLimiter::new(0.5)?.burst(), 1.0);
    /// assert!(RateLimiter::new(f64::NAN).is_err());
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    pub fn new(per_second: f64) -> Result<Self, RateError> {
        let per_second = RateError::check_rate(per_second)?;
        // The quotient is in [1, +inf] (inf for rates below about 1e-300), and `as` saturates.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let interval = ((NANOS_PER_SECOND / per_second).round() as u64).max(1);
        let limiter = Self {
            per_second,
            burst: 1.0,
            interval,
            tolerance: 0,
            clock: Arc::new(MonotonicClock),
            tat: Arc::new(AtomicU64::new(0)),
        };
        limiter.with_burst(per_second.max(1.0))
    }

    /// At most `burst` tokens at once (its integer part), at least 1. Starts a new budget.
    ///
    /// # Errors
    ///
    /// When `burst` is not a finite number of at least 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::RateLimiter;
    ///
    /// let limiter = RateLimiter::new(10.0)?.with_burst(1.0)?; // no bursts: one every 100 ms
    /// assert!(limiter.try_acquire());
    /// assert!(!limiter.try_acquire());
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    pub fn with_burst(mut self, burst: f64) -> Result<Self, RateError> {
        self.burst = RateError::check_burst(burst)?;
        // Exact for whole bursts up to 2^53 ns of tolerance; `as` saturates beyond u64.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let tolerance = ((burst - 1.0) * self.interval as f64) as u64;
        self.tolerance = tolerance;
        self.tat = Arc::new(AtomicU64::new(0));
        Ok(self)
    }

    /// Reads time from `clock` instead of the [`MonotonicClock`]. Starts a new budget.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{ManualClock, RateLimiter};
    ///
    /// let limiter = RateLimiter::new(1.0)?.with_clock(ManualClock::new());
    /// assert!(limiter.try_acquire());
    /// assert!(!limiter.try_acquire()); // the clock does not move
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self.tat = Arc::new(AtomicU64::new(0));
        self
    }

    /// Takes a token if one is available.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = tctx::sampler::RateLimiter::new(5.0)?;
    /// assert_eq!((0..100).filter(|_| limiter.try_acquire()).count(), 5);
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    #[must_use]
    pub fn try_acquire(&self) -> bool {
        let mut tat = self.tat.load(Ordering::Acquire);
        loop {
            // The clock is read after TAT: another thread's TAT then rests on a clock reading
            // no later than ours, so a stale reading cannot pass for a clock that stepped back.
            let now = now_nanos(self.clock.as_ref());
            let latest = now.saturating_add(self.tolerance);
            // Beyond this, TAT can only be ahead because the clock went back.
            let ceiling = latest.saturating_add(self.interval);
            let next = if tat > ceiling {
                // Pull TAT back (the bucket stays empty) and refuse this one.
                ceiling
            } else {
                let start = tat.max(now);
                if start > latest {
                    return false;
                }
                start.saturating_add(self.interval)
            };
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return tat <= ceiling,
                Err(current) => tat = current,
            }
        }
    }

    /// The configured rate, in tokens per second.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(tctx::sampler::RateLimiter::new(2.5)?.per_second(), 2.5);
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    #[must_use]
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// The configured burst.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(tctx::sampler::RateLimiter::new(2.5)?.with_burst(7.0)?.burst(), 7.0);
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    #[must_use]
    pub fn burst(&self) -> f64 {
        self.burst
    }
}

/// Caps another sampler at a number of sampled spans per second: the delegate decides first,
/// and a span it samples is kept only if the [`RateLimiter`] has a token for it; without one
/// it is dropped. Spans the delegate records only or drops pass through and take no token.
/// Clones share the budget.
///
/// This protects a service from callers that set the sampled flag on every request (W3C Trace
/// Context, "Security considerations"): put it behind [`ParentBased`](super::ParentBased) for
/// remote sampled parents.
///
/// A span that passed the limiter has an unknown sampling probability, so its `th` is erased
/// from the `ot` tracestate member ("Sampling stages that yield spans with unknown sampling
/// probability ... must erase the OpenTelemetry threshold"), as is a dropped span's; `rv` and
/// every other member stay. Otherwise the delegate's result (attributes and tracestate) is
/// returned unchanged.
///
/// Description: `RateLimited{rate:100,burst:100,delegate:AlwaysOnSampler}`.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::{Span, Tracer, TracerProvider};
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tctx::sampler::{ManualClock, Probability, RateLimited, RateLimiter};
///
/// let limiter = RateLimiter::new(1.0)?.with_clock(ManualClock::new());
/// let provider = SdkTracerProvider::builder()
///     .with_sampler(RateLimited::new(Probability::new(1.0)?, limiter))
///     .build();
/// let tracer = provider.tracer("doc");
/// let first = tracer.start("first");
/// assert!(first.span_context().is_sampled());
/// assert_eq!(first.span_context().trace_state().get("ot"), None); // th:0 erased
/// assert!(!tracer.start("second").span_context().is_sampled()); // no token left
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RateLimited {
    delegate: Delegate,
    limiter: RateLimiter,
}

impl RateLimited {
    /// Samples what `delegate` samples, within the budget of `limiter`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{AlwaysOn, RateLimited, RateLimiter, SamplerDescription};
    ///
    /// let sampler = RateLimited::new(AlwaysOn, RateLimiter::new(100.0)?);
    /// assert_eq!(
    ///     sampler.description(),
    ///     "RateLimited{rate:100,burst:100,delegate:AlwaysOnSampler}"
    /// );
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    #[must_use]
    pub fn new(delegate: impl ShouldSample + 'static, limiter: RateLimiter) -> Self {
        Self {
            delegate: super::delegate(delegate),
            limiter,
        }
    }

    /// The limiter, shared with this sampler's clones.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{AlwaysOn, RateLimited, RateLimiter};
    ///
    /// let sampler = RateLimited::new(AlwaysOn, RateLimiter::new(10.0)?);
    /// assert_eq!(sampler.limiter().per_second(), 10.0);
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    #[must_use]
    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }
}

impl ShouldSample for RateLimited {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let inner = self.delegate.should_sample(
            parent_context,
            trace_id,
            name,
            span_kind,
            attributes,
            links,
        );
        if inner.decision != SamplingDecision::RecordAndSample {
            return inner;
        }
        let decision = if self.limiter.try_acquire() {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        };
        // The delegate's tracestate is reused as is unless it has a th to erase.
        let erased = {
            let ot = ot_value(&inner.trace_state);
            let without_th = ot.with_threshold(None);
            matches!(without_th, Cow::Owned(_))
                .then(|| with_ot(&inner.trace_state, &ot, &without_th))
        };
        let trace_state = erased.unwrap_or(inner.trace_state);
        SamplingResult {
            decision,
            attributes: inner.attributes,
            trace_state,
        }
    }
}

impl SamplerDescription for RateLimited {
    fn description(&self) -> String {
        format!(
            "RateLimited{{rate:{},burst:{},delegate:{}}}",
            self.limiter.per_second,
            self.limiter.burst,
            super::describe(self.delegate.as_ref())
        )
    }
}

impl fmt::Debug for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

/// Caps the spans its delegate would sample at a number per second, as a composable: a rule
/// can say "server spans under `/api/*`: at most 100 per second".
///
/// The delegate states its intent; a span it would sample (its threshold against the trace's
/// randomness, or fresh randomness when its count is unreliable) takes a token from the
/// [`RateLimiter`]. With a token, the intent is "sample, count unreliable" (so the
/// [`CompositeSampler`](super::CompositeSampler) erases `th`: the span's probability is not
/// known); without one, or when the delegate would not sample, "drop". The delegate's
/// attributes and tracestate provider are kept. Clones share the budget.
///
/// Description `ComposableRateLimited{rate:100,burst:100,delegate:…}`.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::SpanKind;
/// use tctx::sampler::{
///     ComposableAlwaysOn, ComposableRateLimited, ComposableRuleBased, CompositeSampler, RateLimiter,
///     Rule, SpanMatcher,
/// };
///
/// let api = SpanMatcher::new().with_span_kinds([SpanKind::Server]).with_attribute_patterns("http.route", ["/api/*"], [""; 0]);
/// let sampler = CompositeSampler::new(ComposableRuleBased::new([
///     Rule::new(api, ComposableRateLimited::new(ComposableAlwaysOn, RateLimiter::new(100.0)?)),
/// ]));
/// # let _ = sampler;
/// # Ok::<(), tctx::sampler::RateError>(())
/// ```
#[derive(Clone)]
pub struct ComposableRateLimited {
    delegate: ComposableDelegate,
    limiter: RateLimiter,
}

impl ComposableRateLimited {
    /// Samples what `delegate` would, within the budget of `limiter`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{ComposableAlwaysOn, ComposableRateLimited, RateLimiter, SamplerDescription};
    ///
    /// let sampler = ComposableRateLimited::new(ComposableAlwaysOn, RateLimiter::new(5.0)?);
    /// assert_eq!(sampler.description(), "ComposableRateLimited{rate:5,burst:5,delegate:ComposableAlwaysOn}");
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    #[must_use]
    pub fn new(delegate: impl ComposableSampler + 'static, limiter: RateLimiter) -> Self {
        Self {
            delegate: Arc::new(delegate),
            limiter,
        }
    }

    /// The limiter, shared with this sampler's clones.
    #[must_use]
    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }
}

impl ComposableSampler for ComposableRateLimited {
    fn sampling_intent<'s>(&'s self, params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        let intent = self.delegate.sampling_intent(params);
        let would_sample = intent.threshold().is_some_and(|threshold| {
            let randomness = if intent.adjusted_count_reliable() {
                params.randomness()
            } else {
                Randomness::random()
            };
            threshold.samples(randomness)
        });
        let admitted = would_sample && self.limiter.try_acquire();
        intent.rethreshold(admitted.then_some(Threshold::SAMPLE_ALL), false)
    }
}

impl SamplerDescription for ComposableRateLimited {
    fn description(&self) -> String {
        format!(
            "ComposableRateLimited{{rate:{},burst:{},delegate:{}}}",
            self.limiter.per_second(),
            self.limiter.burst(),
            self.delegate.description()
        )
    }
}

impl fmt::Debug for ComposableRateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    use opentelemetry::Context;
    use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, ShouldSample};

    use super::{RateLimited, RateLimiter};
    use crate::sampler::{
        result, AlwaysOff, AlwaysOn, Clock, ManualClock, Probability, SamplerDescription,
    };

    fn limiter(per_second: f64, burst: f64, clock: &ManualClock) -> RateLimiter {
        RateLimiter::new(per_second)
            .and_then(|limiter| limiter.with_burst(burst))
            .expect("valid rate and burst")
            .with_clock(clock.clone())
    }

    fn take_all(limiter: &RateLimiter) -> usize {
        (0..100_000).take_while(|_| limiter.try_acquire()).count()
    }

    #[test]
    fn admits_rate_times_time_plus_burst() {
        let cases = [
            (1.0, 1.0),
            (10.0, 10.0),
            (10.0, 1.0),
            (100.0, 25.0),
            (1000.0, 1.0),
            (3.0, 3.0),
            (0.5, 1.0),
            (0.5, 4.0),
            (2.5, 2.5),
            (2.5, 1.0),
            (0.1, 1.0),
        ];
        let seconds = 40.0;
        for (per_second, burst) in cases {
            let clock = ManualClock::new();
            let limiter = limiter(per_second, burst, &clock);
            // About ten calls per interval.
            let step = Duration::from_secs_f64(0.1 / per_second);
            let mut admitted = 0u32;
            while clock.now() < Duration::from_secs_f64(seconds) {
                admitted += u32::from(limiter.try_acquire());
                clock.advance(step);
            }
            let expected = per_second * seconds + burst.floor();
            assert!(
                (expected - 2.0..=expected).contains(&f64::from(admitted)),
                "{per_second}/s, burst {burst}: {admitted} in {seconds} s, expected {expected}"
            );
        }
    }

    #[test]
    fn fractional_rates_keep_their_fraction() {
        // 0.5/s: one every 2 s, with a burst of 1.
        let clock = ManualClock::new();
        let half = limiter(0.5, 1.0, &clock);
        assert!(half.try_acquire());
        clock.advance(Duration::from_millis(1999));
        assert!(!half.try_acquire());
        clock.advance(Duration::from_millis(1));
        assert!(half.try_acquire());

        // 2.5/s with no burst: 5 in 2 s, one every 400 ms.
        let clock = ManualClock::new();
        let limiter = limiter(2.5, 1.0, &clock);
        let mut admitted = 0;
        for _ in 0..2000 {
            clock.advance(Duration::from_millis(1));
            admitted += usize::from(limiter.try_acquire());
        }
        assert_eq!(admitted, 5);
    }

    #[test]
    fn full_burst_at_start() {
        let clock = ManualClock::new();
        clock.set(Duration::from_secs(1000));
        for (burst, expected) in [(1.0, 1), (2.0, 2), (7.0, 7), (7.9, 7), (100.0, 100)] {
            let limiter = limiter(1.0, burst, &clock);
            assert_eq!(take_all(&limiter), expected, "burst {burst}");
        }
        // The default burst is a second's worth, at least 1.
        let clock = ManualClock::new();
        let limiter = RateLimiter::new(50.0).unwrap().with_clock(clock.clone());
        assert_eq!(take_all(&limiter), 50);
        let limiter = RateLimiter::new(0.2).unwrap().with_clock(clock);
        assert_eq!(take_all(&limiter), 1);
    }

    #[test]
    fn idling_refills_only_up_to_the_burst() {
        let clock = ManualClock::new();
        let limiter = limiter(10.0, 5.0, &clock);
        assert_eq!(take_all(&limiter), 5);
        clock.advance(Duration::from_millis(250));
        assert_eq!(take_all(&limiter), 2);
        clock.advance(Duration::from_secs(3600));
        assert_eq!(take_all(&limiter), 5);
    }

    #[test]
    fn clock_stepping_back_neither_locks_out_nor_grants_a_burst() {
        let interval = Duration::from_millis(100);
        for remaining in [0, 2, 5] {
            let clock = ManualClock::new();
            clock.set(Duration::from_secs(100));
            let limiter = limiter(10.0, 5.0, &clock);
            for _ in 0..5 - remaining {
                assert!(limiter.try_acquire());
            }
            clock.set(Duration::from_secs(90));
            let mut admitted_at = Vec::new();
            for _ in 0..300 {
                if limiter.try_acquire() {
                    admitted_at.push(clock.now());
                }
                clock.advance(Duration::from_millis(10));
            }
            // From the step back: 3 s at 10/s, plus what was left of the burst when it was
            // full (an empty bucket is not refilled by the step back).
            let left = if remaining == 5 { 5 } else { 0 };
            assert!(
                (29 + left..=30 + left).contains(&admitted_at.len()),
                "{remaining} left: {} admitted",
                admitted_at.len()
            );
            let first = admitted_at[0].saturating_sub(Duration::from_secs(90));
            assert!(first <= interval, "locked out for {first:?}");
        }
    }

    #[test]
    fn contended_limiter_admits_exactly_the_burst() {
        let clock = ManualClock::new(); // frozen
        let limiter = limiter(10.0, 1000.0, &clock);
        let admitted: usize = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let limiter = limiter.clone();
                    scope.spawn(move || (0..20_000).filter(|_| limiter.try_acquire()).count())
                })
                .collect();
            threads
                .into_iter()
                // A thread's panic fails the test with that panic's message.
                .map(|thread| {
                    thread
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .sum()
        });
        assert_eq!(admitted, 1000);
        assert!(!limiter.try_acquire());
    }

    #[test]
    fn clones_share_the_budget() {
        let clock = ManualClock::new();
        let limiter = limiter(1.0, 3.0, &clock);
        let clone = limiter.clone();
        assert!(limiter.try_acquire());
        assert!(clone.try_acquire());
        assert!(limiter.try_acquire());
        assert!(!clone.try_acquire());
    }

    #[test]
    fn bad_rates_and_bursts_are_errors() {
        for rate in [
            0.0,
            -0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            2e9,
        ] {
            let err = RateLimiter::new(rate).unwrap_err();
            assert!(err
                .to_string()
                .contains("must be a finite number above zero"));
            assert!(err.value().to_bits() == rate.to_bits() || rate.is_nan());
            assert_eq!(err.kind(), super::RateErrorKind::Rate);
        }
        assert!(RateLimiter::new(1e9).is_ok());
        assert!(RateLimiter::new(1e-300).is_ok());
        let base = RateLimiter::new(10.0).unwrap();
        for burst in [0.5, 0.0, -3.0, f64::NAN, f64::INFINITY] {
            let err = base.clone().with_burst(burst).unwrap_err();
            assert!(err.to_string().starts_with("burst must be"), "{err}");
            assert_eq!(err.kind(), super::RateErrorKind::Burst);
        }
        assert!(base.with_burst(1.0).is_ok());
    }

    #[test]
    fn extreme_rates_do_not_panic() {
        let clock = ManualClock::new();
        let fast = limiter(1e9, 1e30, &clock);
        assert!(fast.try_acquire());
        let slow = limiter(1e-300, 1.0, &clock);
        assert!(slow.try_acquire());
        clock.set(Duration::from_secs(3600 * 24 * 365 * 100));
        assert!(!slow.try_acquire());
        clock.set(Duration::MAX);
        assert!(fast.try_acquire());
    }

    // Sampler tests.

    const TRACE_ID: TraceId = TraceId::from_bytes([
        0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47,
        0x36,
    ]);

    fn decide(sampler: &impl ShouldSample, parent: Option<&Context>) -> SamplingResult {
        sampler.should_sample(
            parent,
            TRACE_ID,
            "span",
            &opentelemetry::trace::SpanKind::Internal,
            &[],
            &[],
        )
    }

    fn remote_parent(trace_state: &str) -> Context {
        let trace_state: TraceState = trace_state.parse().expect("valid tracestate");
        Context::new().with_remote_span_context(SpanContext::new(
            TRACE_ID,
            SpanId::from_bytes([1; 8]),
            TraceFlags::SAMPLED,
            true,
            trace_state,
        ))
    }

    #[test]
    fn always_on_is_capped() {
        let clock = ManualClock::new();
        let sampler = RateLimited::new(AlwaysOn, limiter(2.0, 2.0, &clock));
        assert_eq!(
            sampler.description(),
            "RateLimited{rate:2,burst:2,delegate:AlwaysOnSampler}"
        );
        let clone = sampler.clone();
        let decisions: Vec<_> = (0..4).map(|_| decide(&clone, None).decision).collect();
        assert_eq!(
            decisions,
            [
                SamplingDecision::RecordAndSample,
                SamplingDecision::RecordAndSample,
                SamplingDecision::Drop,
                SamplingDecision::Drop
            ]
        );
        assert_eq!(decide(&sampler, None).decision, SamplingDecision::Drop); // shared budget
        clock.advance(Duration::from_millis(500));
        assert_eq!(
            decide(&sampler, None).decision,
            SamplingDecision::RecordAndSample
        );
        // Other members of the tracestate are forwarded as AlwaysOn returns them.
        clock.advance(Duration::from_secs(1));
        let parent = remote_parent("vendor=x,other=y");
        let kept = decide(&sampler, Some(&parent));
        assert_eq!(kept.decision, SamplingDecision::RecordAndSample);
        assert_eq!(kept.trace_state.header(), "vendor=x,other=y");
        let description = RateLimited::new(AlwaysOn, RateLimiter::new(100.0).unwrap());
        assert_eq!(
            description.description(),
            "RateLimited{rate:100,burst:100,delegate:AlwaysOnSampler}"
        );
        assert_eq!(format!("{description:?}"), description.description());
    }

    #[test]
    fn threshold_is_erased_on_sampled_and_dropped_spans() {
        let clock = ManualClock::new();
        let always = Probability::new(1.0).unwrap();
        // The delegate alone writes th:0.
        assert_eq!(decide(&always, None).trace_state.get("ot"), Some("th:0"));
        let sampler = RateLimited::new(always, limiter(1.0, 1.0, &clock));
        let kept = decide(&sampler, None);
        assert_eq!(kept.decision, SamplingDecision::RecordAndSample);
        assert_eq!(kept.trace_state.get("ot"), None);
        assert_eq!(kept.trace_state.header(), "");

        // With a parent: rv and the other members stay, th goes, kept or not.
        let parent = remote_parent("ot=th:c;rv:ce929d0e0e4736;x:1,vendor=v");
        clock.advance(Duration::from_secs(1));
        let kept = decide(&sampler, Some(&parent));
        assert_eq!(kept.decision, SamplingDecision::RecordAndSample);
        assert_eq!(
            kept.trace_state.header(),
            "ot=rv:ce929d0e0e4736;x:1,vendor=v"
        );
        let dropped = decide(&sampler, Some(&parent));
        assert_eq!(dropped.decision, SamplingDecision::Drop);
        assert_eq!(
            dropped.trace_state.header(),
            "ot=rv:ce929d0e0e4736;x:1,vendor=v"
        );
    }

    #[derive(Clone, Debug)]
    struct RecordOnly;

    impl ShouldSample for RecordOnly {
        fn should_sample(
            &self,
            _parent_context: Option<&Context>,
            _trace_id: TraceId,
            _name: &str,
            _span_kind: &opentelemetry::trace::SpanKind,
            _attributes: &[opentelemetry::KeyValue],
            _links: &[opentelemetry::trace::Link],
        ) -> SamplingResult {
            let mut result = result(SamplingDecision::RecordOnly, "ot=th:8".parse().unwrap());
            result
                .attributes
                .push(opentelemetry::KeyValue::new("k", "v"));
            result
        }
    }

    impl SamplerDescription for RecordOnly {
        fn description(&self) -> String {
            "RecordOnly".to_owned()
        }
    }

    #[test]
    fn record_only_and_drop_pass_through_without_a_token() {
        let clock = ManualClock::new();
        let shared = limiter(1.0, 1.0, &clock);
        let record_only = RateLimited::new(RecordOnly, shared.clone());
        let off = RateLimited::new(AlwaysOff, shared.clone());
        let parent = remote_parent("ot=th:c");
        for _ in 0..10 {
            let recorded = decide(&record_only, None);
            assert_eq!(recorded.decision, SamplingDecision::RecordOnly);
            assert_eq!(recorded.trace_state.header(), "ot=th:8");
            assert_eq!(recorded.attributes.len(), 1);
            let dropped = decide(&off, Some(&parent));
            assert_eq!(dropped.decision, SamplingDecision::Drop);
            assert_eq!(dropped.trace_state.header(), "ot=th:c");
        }
        assert!(shared.try_acquire());
    }
}
