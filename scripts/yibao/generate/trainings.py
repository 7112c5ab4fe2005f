"""The offline trainings and the study trips (以干代训)."""
from __future__ import annotations

import datetime as dt

from . import phrases as P
from .common import DAY


EXTRA_TOPICS = ("医保政策解读", "智能监控", "病历审核")


class TrainingsMixin:
    """The offline trainings and the study trips (以干代训)."""

    def build_trainings(self) -> None:
        sessions, topics = self.terms.offline
        span = (self.terms.end - self.terms.start).days
        assigned = self._topic_plan(sessions, topics)
        for nth, session_topics in enumerate(assigned, 1):
            day = self.days.next(self.terms.start + int((nth - 0.5) * span / max(1, sessions)) * DAY + self.rng.randint(-10, 10) * DAY)
            self._offline_training(nth, day, session_topics)
        trips = [(scope, staff) for scope, count, staff in self.terms.trips for _ in range(count)]
        self.rng.shuffle(trips)
        for k, (scope, bureau_staff) in enumerate(trips):
            day = self.days.next(self.terms.start + int((k + 0.3) * span / len(trips)) * DAY)
            self._study_trip(day, scope, bureau_staff)

    def _topic_plan(self, sessions: int, topics: tuple[str, ...]) -> list[list[str]]:
        required = list(topics)
        self.rng.shuffle(required)
        plan: list[list[str]] = [[] for _ in range(sessions)]
        for i, topic in enumerate(required):
            plan[i % max(1, sessions)].append(topic)
        for session in plan:
            if not session or self.rng.random() < 0.4:
                extra = self.rng.choice(EXTRA_TOPICS + tuple(topics))
                if extra not in session:
                    session.append(extra)
        return plan

    def _offline_training(self, nth: int, day: dt.date, topics: list[str]) -> None:
        rng = self.rng
        labels = [self.schemas.label("training_topic", t) for t in topics]
        trainers = [s for s in self.staff if s["role"] in ("项目负责人", "医学", "财务审计") and s["joined_on"] <= day
                    and (s.get("left_on") is None or s["left_on"] >= day)]
        attending = rng.sample(self.institutions, min(len(self.institutions), rng.randint(20, 60)))
        record = {"id": self.ids.next(f"PX-{day.year}"), "contract": self.terms.id, "kind": "线下培训",
                  "title": P.TRAINING_TITLE.format(nth="一二三四五六七八九十"[nth - 1] if nth <= 10 else nth, topic=labels[0]),
                  "start_date": day, "end_date": day, "topics": topics,
                  "place": {"name": rng.choice(P.TRAINING_PLACES).format(bureau=self.terms.bureau.replace("（虚构）", ""),
                                                                         district=self.region.district,
                                                                         street=rng.choice(P.STREETS) + "路"),
                            "scope": "本地", "region_code": self.region.code},
                  "trainers": [s["id"] for s in rng.sample(trainers, min(len(trainers), rng.randint(1, 2)))],
                  "participants": len(attending) * rng.randint(1, 3) + rng.randint(2, 6),
                  "participant_institutions": sorted(i["id"] for i in attending),
                  "bureau_staff": rng.randint(2, 4), "status": "有效",
                  "summary": rng.choice(P.TRAINING_SUMMARY).format(topics="、".join(f"“{label}”" for label in labels))}
        self.trainings.append(record)

    def _study_trip(self, day: dt.date, scope: str, bureau_staff: int) -> None:
        rng = self.rng
        place = rng.choice(P.TRIP_PLACES[(scope, self.region.xinjiang)])
        topics = ["飞行检查实务"] + (["病历审核"] if rng.random() < 0.5 else [])
        record = {"id": self.ids.next(f"PX-{day.year}"), "contract": self.terms.id, "kind": "以干代训",
                  "title": P.TRIP_TITLE.format(place=place), "start_date": day, "end_date": day + rng.randint(3, 6) * DAY,
                  "topics": topics, "place": {"name": place, "scope": scope}, "participants": bureau_staff,
                  "bureau_staff": bureau_staff, "host": P.TRIP_HOSTS[scope], "status": "有效",
                  "summary": rng.choice(P.TRIP_SUMMARY).format(k=bureau_staff)}
        self.trainings.append(record)
