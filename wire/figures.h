// The core's figures in their wire form (salvo.v1 Counters, Rates, Histogram, TimingHistogram,
// Fairness) and back. This is the one place counters, rates and histograms meet protobuf; the
// core (metrics/, net/, workload/) knows nothing of it.
//
//   wire::CountersToProto(snapshot.counters, result.mutable_counters());
//   metrics::CounterValues c = wire::CountersFromProto(result.counters());
//   wire::RatesToProto(metrics::ComputeRates(c, seconds), result.mutable_rates());
//   wire::TimingsToProto(snapshot.timings, /*with_histograms=*/true, result.mutable_timings());
#pragma once

#include <array>

#include "absl/status/statusor.h"
#include "google/protobuf/repeated_field.h"
#include "metrics/connection_stats.h"
#include "metrics/figures.h"
#include "metrics/histogram.h"
#include "metrics/thread_stats.h"
#include "salvo/v1/report.pb.h"

namespace salvo::wire {

using TimingList = google::protobuf::RepeatedPtrField<v1::TimingHistogram>;
// One merged histogram per Timing: what a snapshot, an interval and a report hold (the atomic
// recording side is metrics::TimingRecorders).
using Timings = std::array<metrics::Histogram, metrics::kNumTimings>;

void CountersToProto(const metrics::CounterValues& values, v1::Counters* out);
metrics::CounterValues CountersFromProto(const v1::Counters& in);

void RatesToProto(const metrics::RateValues& values, v1::Rates* out);
// Reads a rate by its table entry (for tables and CSV that iterate over kRateInfo).
double RateFromProto(const v1::Rates& in, metrics::Rate rate);

void HistogramToProto(const metrics::Histogram& h, v1::Histogram* out);
// Adds each bucket's value bounds (bucket_lower_ns, bucket_upper_ns) to a histogram for a
// report's readers.
void AddBucketBounds(v1::Histogram* h);
// Refuses a histogram of another layout (sub_bucket_bits) or a malformed one (see
// metrics::Histogram::FromBuckets); an empty message is an empty histogram.
absl::StatusOr<metrics::Histogram> HistogramFromProto(const v1::Histogram& in);

void SummaryToProto(const metrics::Histogram& h, v1::LatencySummary* out);

// One entry per timing that has samples, in Timing order.
void TimingsToProto(const Timings& timings, bool with_histograms, TimingList* out);
// The histograms in `in`, merged by timing; an entry with an unknown timing or a malformed
// histogram is an error.
absl::StatusOr<Timings> TimingsFromProto(const TimingList& in);
// Adds `in` to `into` without building dense copies; all or nothing: a malformed list changes
// nothing and says why.
absl::Status MergeTimingsFromProto(const TimingList& in, Timings* into);
// The summary of `timing` in `in`, or an empty one.
const v1::LatencySummary& FindSummary(const TimingList& in, metrics::Timing timing);

// With `with_parts`, the mergeable histogram and sums travel too (agent to controller); without,
// only the figures (the report's merged series).
void FairnessToProto(const metrics::FairnessStats& f, bool with_parts, v1::Fairness* out);
absl::StatusOr<metrics::FairnessStats> FairnessFromProto(const v1::Fairness& in);
void TcpHealthToProto(const metrics::TcpHealthStats& h, bool with_parts, v1::TcpHealth* out);
absl::StatusOr<metrics::TcpHealthStats> TcpHealthFromProto(const v1::TcpHealth& in);

}  // namespace salvo::wire
