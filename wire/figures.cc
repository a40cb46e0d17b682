#include "wire/figures.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "status/status_macros.h"
#include "wire/enums.h"

namespace salvo::wire {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// The proto field of each table entry, found by name once. A missing field is a build that
// broke the one-table rule; the figures test names it, and here it would be a null dereference,
// so it aborts with the name instead.
template <size_t N>
std::array<const FieldDescriptor*, N> FieldsByName(const Descriptor* d,
                                                   const std::array<const char*, N>& names) {
  std::array<const FieldDescriptor*, N> out{};
  for (size_t i = 0; i < N; ++i) {
    out[i] = d->FindFieldByName(names[i]);
    if (out[i] == nullptr) {
      std::fprintf(stderr, "salvo: %s has no field %s (metrics/figures.h)\n",
                   d->full_name().c_str(), names[i]);
      std::abort();
    }
  }
  return out;
}

const std::array<const FieldDescriptor*, metrics::kNumCounters>& CounterFields() {
  static const auto fields = [] {
    std::array<const char*, metrics::kNumCounters> names{};
    for (int i = 0; i < metrics::kNumCounters; ++i) names[i] = metrics::kCounterInfo[i].name;
    return FieldsByName(v1::Counters::descriptor(), names);
  }();
  return fields;
}

const std::array<const FieldDescriptor*, metrics::kNumRates>& RateFields() {
  static const auto fields = [] {
    std::array<const char*, metrics::kNumRates> names{};
    for (int i = 0; i < metrics::kNumRates; ++i) names[i] = metrics::kRateInfo[i].figure.name;
    return FieldsByName(v1::Rates::descriptor(), names);
  }();
  return fields;
}

}  // namespace

void CountersToProto(const metrics::CounterValues& values, v1::Counters* out) {
  const auto* reflection = out->GetReflection();
  for (int i = 0; i < metrics::kNumCounters; ++i) {
    reflection->SetUInt64(out, CounterFields()[i], values.at(i));
  }
}

metrics::CounterValues CountersFromProto(const v1::Counters& in) {
  metrics::CounterValues values;
  const auto* reflection = in.GetReflection();
  for (int i = 0; i < metrics::kNumCounters; ++i) {
    values.at(i) = reflection->GetUInt64(in, CounterFields()[i]);
  }
  return values;
}

void RatesToProto(const metrics::RateValues& values, v1::Rates* out) {
  const auto* reflection = out->GetReflection();
  for (int i = 0; i < metrics::kNumRates; ++i) {
    reflection->SetDouble(out, RateFields()[i], values.at(i));
  }
}

double RateFromProto(const v1::Rates& in, metrics::Rate rate) {
  return in.GetReflection()->GetDouble(in, RateFields()[metrics::Index(rate)]);
}

void HistogramToProto(const metrics::Histogram& h, v1::Histogram* out) {
  out->Clear();
  out->set_sub_bucket_bits(metrics::HistogramLayout::kSubBucketBits);
  for (const metrics::Histogram::Bucket& b : h.NonEmptyBuckets()) {
    out->add_bucket(b.index);
    out->add_count(b.count);
  }
  out->set_total_count(h.count());
  out->set_min_ns(h.min());
  out->set_max_ns(h.max());
  out->set_sum_ns(h.sum());
}

void AddBucketBounds(v1::Histogram* h) {
  h->clear_bucket_lower_ns();
  h->clear_bucket_upper_ns();
  for (const uint32_t b : h->bucket()) {
    if (b >= metrics::HistogramLayout::kNumBuckets) return;  // checked before any merge
    h->add_bucket_lower_ns(metrics::HistogramLayout::Lower(b));
    h->add_bucket_upper_ns(metrics::HistogramLayout::Upper(b));
  }
}

namespace {

// A proto histogram's sparse buckets, checked against the layout and its own totals.
absl::StatusOr<std::vector<metrics::Histogram::Bucket>> CheckedBuckets(const v1::Histogram& in) {
  std::vector<metrics::Histogram::Bucket> buckets;
  if (in.bucket_size() == 0 && in.total_count() == 0) return buckets;
  if (in.sub_bucket_bits() != metrics::HistogramLayout::kSubBucketBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("histogram has layout sub_bucket_bits=", in.sub_bucket_bits(),
                     ", this salvo uses ", metrics::HistogramLayout::kSubBucketBits,
                     ": refusing to merge histograms of different layouts"));
  }
  if (in.bucket_size() != in.count_size()) {
    return absl::InvalidArgumentError(absl::StrCat("histogram has ", in.bucket_size(),
                                                   " buckets but ", in.count_size(), " counts"));
  }
  buckets.reserve(in.bucket_size());
  for (int i = 0; i < in.bucket_size(); ++i) buckets.push_back({in.bucket(i), in.count(i)});
  SALVO_RETURN_IF_ERROR(metrics::Histogram::CheckBuckets(buckets, in.total_count(), in.min_ns(),
                                                         in.max_ns(), in.sum_ns()));
  return buckets;
}

}  // namespace

absl::StatusOr<metrics::Histogram> HistogramFromProto(const v1::Histogram& in) {
  SALVO_ASSIGN_OR_RETURN(std::vector<metrics::Histogram::Bucket> buckets, CheckedBuckets(in));
  metrics::Histogram h;
  h.MergeBuckets(buckets, in.total_count(), in.min_ns(), in.max_ns(), in.sum_ns());
  return h;
}

void SummaryToProto(const metrics::Histogram& h, v1::LatencySummary* out) {
  const metrics::Histogram::Summary s = h.Summarize();
  out->set_count(s.count);
  out->set_min_us(s.min_us);
  out->set_mean_us(s.mean_us);
  out->set_p50_us(s.p50_us);
  out->set_p90_us(s.p90_us);
  out->set_p99_us(s.p99_us);
  out->set_p999_us(s.p999_us);
  out->set_p95_us(s.p95_us);
  out->set_stddev_us(s.stddev_us);
  out->set_max_us(s.max_us);
}

void TimingsToProto(const Timings& timings, bool with_histograms, TimingList* out) {
  out->Clear();
  for (int t = 0; t < metrics::kNumTimings; ++t) {
    if (timings[t].count() == 0) continue;
    v1::TimingHistogram* entry = out->Add();
    entry->set_timing(ToProto(static_cast<metrics::Timing>(t)));
    if (with_histograms) HistogramToProto(timings[t], entry->mutable_histogram());
    SummaryToProto(timings[t], entry->mutable_summary());
  }
}

absl::Status MergeTimingsFromProto(const TimingList& in, Timings* into) {
  // Everything is checked before anything is added: a malformed list changes nothing.
  std::vector<std::pair<int, std::vector<metrics::Histogram::Bucket>>> parts;
  parts.reserve(in.size());
  for (const v1::TimingHistogram& entry : in) {
    SALVO_ASSIGN_OR_RETURN(metrics::Timing timing, FromProto(entry.timing()));
    SALVO_ASSIGN_OR_RETURN(std::vector<metrics::Histogram::Bucket> buckets,
                           CheckedBuckets(entry.histogram()));
    parts.emplace_back(metrics::Index(timing), std::move(buckets));
  }
  for (int i = 0; i < in.size(); ++i) {
    const v1::Histogram& h = in[i].histogram();
    (*into)[parts[i].first].MergeBuckets(parts[i].second, h.total_count(), h.min_ns(), h.max_ns(),
                                         h.sum_ns());
  }
  return absl::OkStatus();
}

absl::StatusOr<Timings> TimingsFromProto(const TimingList& in) {
  Timings out;
  SALVO_RETURN_IF_ERROR(MergeTimingsFromProto(in, &out));
  return out;
}

const v1::LatencySummary& FindSummary(const TimingList& in, metrics::Timing timing) {
  const v1::Timing wanted = ToProto(timing);
  for (const v1::TimingHistogram& entry : in) {
    if (entry.timing() == wanted) return entry.summary();
  }
  return v1::LatencySummary::default_instance();
}

void FairnessToProto(const metrics::FairnessStats& f, bool with_parts, v1::Fairness* out) {
  out->Clear();
  out->set_connections(f.Connections());
  out->set_unsampled_connections(f.Unsampled());
  out->set_idle_connections(f.Idle());
  out->set_starved_connections(f.Starved());
  out->set_min_bytes(f.Min());
  out->set_max_bytes(f.Max());
  out->set_jain(f.Jain());
  out->set_p10_bytes(f.Percentile(10));
  out->set_p50_bytes(f.Percentile(50));
  out->set_p90_bytes(f.Percentile(90));
  out->set_connections_carrying_90pct(f.ConnectionsCarrying(0.9));
  out->set_top_tenth_share(f.ShareOfTop(std::max<uint32_t>(1, f.Connections() / 10)));
  if (with_parts) {
    HistogramToProto(f.per_connection(), out->mutable_bytes_per_connection());
    out->set_sum_squares(f.sum_squares());
  }
}

absl::StatusOr<metrics::FairnessStats> FairnessFromProto(const v1::Fairness& in) {
  SALVO_ASSIGN_OR_RETURN(metrics::Histogram h, HistogramFromProto(in.bytes_per_connection()));
  if (!(in.sum_squares() >= 0)) return absl::InvalidArgumentError("fairness sum is negative");
  return metrics::FairnessStats::FromParts(std::move(h), in.sum_squares(),
                                           in.unsampled_connections(), in.idle_connections());
}

void TcpHealthToProto(const metrics::TcpHealthStats& h, bool with_parts, v1::TcpHealth* out) {
  out->Clear();
  out->set_sampled_connections(h.sampled);
  out->set_zero_window(h.zero_window);
  out->set_starved_zero_window(h.starved_zero_window);
  out->set_retransmits(h.retransmits);
  out->set_rwnd_limited_share(h.RwndLimitedShare());
  out->set_sndbuf_limited_share(h.SndbufLimitedShare());
  out->set_rtt_p50_us(h.rtt_us.Percentile(50));
  out->set_rtt_p99_us(h.rtt_us.Percentile(99));
  out->set_cwnd_p50(h.cwnd.Percentile(50));
  if (with_parts) {
    out->set_busy_us(h.busy_us);
    out->set_rwnd_limited_us(h.rwnd_limited_us);
    out->set_sndbuf_limited_us(h.sndbuf_limited_us);
    HistogramToProto(h.rtt_us, out->mutable_rtt_us());
    HistogramToProto(h.cwnd, out->mutable_cwnd());
  }
}

absl::StatusOr<metrics::TcpHealthStats> TcpHealthFromProto(const v1::TcpHealth& in) {
  metrics::TcpHealthStats h;
  h.sampled = in.sampled_connections();
  h.zero_window = in.zero_window();
  h.starved_zero_window = in.starved_zero_window();
  h.retransmits = in.retransmits();
  h.busy_us = in.busy_us();
  h.rwnd_limited_us = in.rwnd_limited_us();
  h.sndbuf_limited_us = in.sndbuf_limited_us();
  SALVO_ASSIGN_OR_RETURN(h.rtt_us, HistogramFromProto(in.rtt_us()));
  SALVO_ASSIGN_OR_RETURN(h.cwnd, HistogramFromProto(in.cwnd()));
  return h;
}

}  // namespace salvo::wire
