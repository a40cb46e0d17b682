#include "net/timer_queue.h"

#include <vector>

#include "gtest/gtest.h"

namespace salvo::net {
namespace {

class Recorder : public TimerHandler {
 public:
  void OnTimer(TimerId id) override { fired.push_back(id); }
  std::vector<TimerId> fired;
};

TEST(TimerQueue, FiresDueTimersInDeadlineOrderAndNeverACancelledOne) {
  TimerQueue q;
  Recorder r;
  const TimerId late = q.Schedule(300, &r);
  const TimerId early = q.Schedule(100, &r);
  const TimerId cancelled = q.Schedule(200, &r);
  q.Cancel(cancelled);
  EXPECT_EQ(q.pending(), 2u);
  q.RunDue(50);
  EXPECT_TRUE(r.fired.empty());
  q.RunDue(1000);
  EXPECT_EQ(r.fired, (std::vector<TimerId>{early, late}));
  EXPECT_EQ(q.pending(), 0u);
  q.Cancel(early);  // fired: nothing to do, and no effect on a new timer in its slot
  const TimerId reused = q.Schedule(10, &r);
  q.Cancel(early);
  q.RunDue(20);
  EXPECT_EQ(r.fired.back(), reused);
  EXPECT_NE(reused, early);
}

TEST(TimerQueue, BoundShortensAWaitToTheNextDeadline) {
  TimerQueue q;
  Recorder r;
  EXPECT_EQ(q.Bound(absl::Seconds(1), 0), absl::Seconds(1));
  const TimerId id = q.Schedule(5'000'000, &r);
  EXPECT_EQ(q.Bound(absl::Seconds(1), 1'000'000), absl::Milliseconds(4));
  EXPECT_EQ(q.Bound(absl::Seconds(1), 9'000'000), absl::ZeroDuration());
  EXPECT_EQ(q.Bound(absl::Microseconds(10), 1'000'000), absl::Microseconds(10));
  q.Cancel(id);
  EXPECT_EQ(q.Bound(absl::Seconds(1), 1'000'000), absl::Seconds(1));
}

TEST(TimerQueue, ASpinEndsTheSleepThatLongBeforeTheDeadlineAndPollsUntilIt) {
  TimerQueue q;
  Recorder r;
  q.set_spin(50'000);
  q.Schedule(5'000'000, &r);
  EXPECT_EQ(q.Bound(absl::Seconds(1), 1'000'000), absl::Microseconds(3950));
  EXPECT_FALSE(q.Spinning(1'000'000));
  // Within the spin: no sleep, and the wait is a spin, until the deadline is due.
  EXPECT_EQ(q.Bound(absl::Seconds(1), 4'960'000), absl::ZeroDuration());
  EXPECT_TRUE(q.Spinning(4'960'000));
  EXPECT_TRUE(q.Spinning(4'999'999));
  EXPECT_FALSE(q.Spinning(5'000'000));  // due: running it is no spin
  q.RunDue(5'000'000);
  EXPECT_EQ(r.fired.size(), 1u);
  EXPECT_FALSE(q.Spinning(5'000'000));
}

// A handler that reschedules itself for "now" runs once per RunDue, so it cannot hold the loop.
class Again : public TimerHandler {
 public:
  explicit Again(TimerQueue* q) : q_(q) {}
  void OnTimer(TimerId) override {
    ++count;
    q_->Schedule(0, this);
  }
  int count = 0;

 private:
  TimerQueue* q_;
};

TEST(TimerQueue, ATimerScheduledFromAHandlerWaitsForTheNextTurn) {
  TimerQueue q;
  Again again(&q);
  q.Schedule(0, &again);
  q.RunDue(100);
  EXPECT_EQ(again.count, 1);
  q.RunDue(100);
  EXPECT_EQ(again.count, 2);
}

}  // namespace
}  // namespace salvo::net
