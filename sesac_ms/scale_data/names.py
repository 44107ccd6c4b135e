"""Korean names, e-mail addresses, phone numbers, companies and the texts people write.

Every e-mail domain ends in `.example` (RFC 2606), so no generated address can reach a
real mailbox whatever the outbox does; the staff's own domain marks generated data.
"""

from __future__ import annotations

import random

STAFF_DOMAIN = "staff.sesac.example"

# (family name, romanised, share in % — Statistics Korea, 2015 census, rounded)
FAMILIES = [
    ("김", "kim", 21.5),
    ("이", "lee", 14.7),
    ("박", "park", 8.4),
    ("최", "choi", 4.7),
    ("정", "jung", 4.3),
    ("강", "kang", 2.4),
    ("조", "cho", 2.1),
    ("윤", "yoon", 2.0),
    ("장", "jang", 2.0),
    ("임", "lim", 1.7),
    ("한", "han", 1.5),
    ("오", "oh", 1.5),
    ("서", "seo", 1.5),
    ("신", "shin", 1.4),
    ("권", "kwon", 1.4),
    ("황", "hwang", 1.4),
    ("안", "ahn", 1.3),
    ("송", "song", 1.3),
    ("전", "jeon", 1.1),
    ("홍", "hong", 1.1),
    ("유", "yoo", 1.1),
    ("고", "ko", 0.9),
    ("문", "moon", 0.9),
    ("양", "yang", 0.9),
    ("손", "son", 0.9),
    ("배", "bae", 0.8),
    ("백", "baek", 0.7),
    ("허", "heo", 0.6),
    ("노", "noh", 0.6),
    ("남", "nam", 0.5),
    ("심", "shim", 0.5),
    ("하", "ha", 0.5),
    ("곽", "kwak", 0.4),
    ("성", "sung", 0.4),
    ("차", "cha", 0.4),
    ("주", "joo", 0.4),
    ("우", "woo", 0.4),
    ("구", "koo", 0.4),
    ("민", "min", 0.3),
    ("진", "jin", 0.3),
]
GIVEN = [
    ("민준", "minjun"), ("서준", "seojun"), ("도윤", "doyun"), ("예준", "yejun"),
    ("시우", "siwoo"), ("하준", "hajun"), ("주원", "juwon"), ("지호", "jiho"),
    ("지후", "jihu"), ("준우", "junwoo"), ("준서", "junseo"), ("건우", "gunwoo"),
    ("도현", "dohyun"), ("현우", "hyunwoo"), ("지훈", "jihoon"), ("우진", "woojin"),
    ("선우", "sunwoo"), ("서진", "seojin"), ("민재", "minjae"), ("현준", "hyunjun"),
    ("연우", "yeonwoo"), ("유준", "yujun"), ("정우", "jungwoo"), ("승우", "seungwoo"),
    ("승현", "seunghyun"), ("시윤", "siyun"), ("준혁", "junhyuk"), ("은우", "eunwoo"),
    ("지환", "jihwan"), ("승민", "seungmin"), ("동현", "donghyun"), ("성민", "sungmin"),
    ("태윤", "taeyun"), ("재원", "jaewon"), ("민성", "minsung"), ("상훈", "sanghoon"),
    ("서연", "seoyeon"), ("서윤", "seoyun"), ("지우", "jiwoo"), ("서현", "seohyun"),
    ("민서", "minseo"), ("하은", "haeun"), ("하윤", "hayun"), ("윤서", "yunseo"),
    ("지유", "jiyu"), ("지민", "jimin"), ("채원", "chaewon"), ("수아", "sua"),
    ("지아", "jia"), ("지윤", "jiyun"), ("은서", "eunseo"), ("다은", "daeun"),
    ("예은", "yeeun"), ("수빈", "subin"), ("소율", "soyul"), ("예린", "yerin"),
    ("지원", "jiwon"), ("유진", "yujin"), ("민지", "minji"), ("수민", "sumin"),
    ("예진", "yejin"), ("혜원", "hyewon"), ("소연", "soyeon"), ("은지", "eunji"),
    ("다인", "dain"), ("가은", "gaeun"), ("나연", "nayeon"), ("하린", "harin"),
    ("유나", "yuna"), ("수연", "suyeon"), ("지현", "jihyun"), ("현지", "hyunji"),
]  # fmt: skip
MAIL_DOMAINS = [
    ("naver.example", 45),
    ("gmail.example", 33),
    ("daum.example", 10),
    ("kakao.example", 8),
    ("nate.example", 4),
]


class People:
    """Names, addresses and phone numbers drawn from one random source."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._families = [f[:2] for f in FAMILIES]
        self._family_weights = [f[2] for f in FAMILIES]
        self._domains = [d for d, _ in MAIL_DOMAINS]
        self._domain_weights = [w for _, w in MAIL_DOMAINS]
        self.serial = 0

    def person(self) -> tuple[str, str]:
        """(name, e-mail): a new, unique address for each call."""
        rng = self.rng
        (family, family_en) = rng.choices(self._families, self._family_weights)[0]
        given, given_en = rng.choice(GIVEN)
        self.serial += 1
        n = self.serial
        pattern = n % 4
        if pattern == 0:
            local = f"{given_en}{family_en}{n}"
        elif pattern == 1:
            local = f"{family_en}.{given_en}{n}"
        elif pattern == 2:
            local = f"{given_en}_{n}"
        else:
            local = f"{family_en}{given_en[:3]}{n}"
        domain = rng.choices(self._domains, self._domain_weights)[0]
        return family + given, f"{local}@{domain}"

    def staff(self, campus_en: str) -> tuple[str, str]:
        rng = self.rng
        family, family_en = rng.choices(self._families, self._family_weights)[0]
        given, given_en = rng.choice(GIVEN)
        self.serial += 1
        slug = campus_en.lower().replace("-", "")
        return family + given, f"{given_en}.{family_en}.{slug}{self.serial}@{STAFF_DOMAIN}"

    def phone(self) -> str:
        return f"010-{self.rng.randint(2000, 9999)}-{self.rng.randint(0, 9999):04d}"


# --- companies ------------------------------------------------------------------------------

COMPANY_PREFIXES = [
    "한빛", "누리", "온빛", "새솔", "가온", "다온", "미르", "하람", "이음", "나래", "한결",
    "해솔", "라온", "아라", "바른", "푸른", "참빛", "늘봄", "다솜", "별하", "도담", "솔빛",
    "그린", "스마트", "네오", "퓨처", "코어", "넥스트", "블루", "오픈", "제이", "알파",
    "메타", "위드", "유니", "인사이트", "모두의", "하이", "에코", "큐브",
]  # fmt: skip
# (suffix, industry)
COMPANY_SUFFIXES = [
    ("소프트", "IT"), ("테크", "IT"), ("데이터", "IT"), ("랩스", "IT"), ("시스템즈", "IT"),
    ("네트웍스", "통신"), ("솔루션즈", "IT"), ("커머스", "유통"), ("헬스케어", "헬스케어"),
    ("모빌리티", "모빌리티"), ("에듀", "교육"), ("핀테크", "금융"), ("클라우드", "IT"),
    ("인터랙티브", "게임"), ("게임즈", "게임"), ("미디어", "미디어"), ("바이오", "바이오"),
    ("로보틱스", "제조"), ("컨설팅", "컨설팅"), ("디자인", "디자인"), ("마케팅", "광고"),
    ("스튜디오", "콘텐츠"), ("이노베이션", "IT"), ("파트너스", "컨설팅"), ("플랫폼", "IT"),
]  # fmt: skip
CONTACT_ROLES = ["recruit", "hr", "jobs", "people", "talent"]


def company_name(rng: random.Random) -> tuple[str, str]:
    """Any (name, industry): a company not among the campus's partners."""
    suffix, industry = rng.choice(COMPANY_SUFFIXES)
    return rng.choice(COMPANY_PREFIXES) + suffix, industry


def company_names(rng: random.Random, count: int, taken: set[str]) -> list[tuple[str, str]]:
    """`count` (name, industry) pairs, none of them in `taken` (which grows)."""
    names = []
    combos = [(p, s) for p in COMPANY_PREFIXES for s in COMPANY_SUFFIXES]
    rng.shuffle(combos)
    for prefix, (suffix, industry) in combos:
        if len(names) == count:
            break
        name = prefix + suffix
        if name in taken:
            continue
        taken.add(name)
        names.append((name, industry))
    return names


# --- what people write ----------------------------------------------------------------------

MOTIVATION_OPENINGS = [
    "경영학을 전공하고 마케팅 회사에서 1년간 근무했습니다.",
    "컴퓨터공학을 전공했지만 실무 프로젝트 경험이 부족합니다.",
    "인문계열을 졸업하고 데이터 분석에 관심을 갖게 되었습니다.",
    "독학으로 파이썬을 공부하며 작은 자동화 도구를 만들어 보았습니다.",
    "대학에서 통계학을 공부했고 공모전에 두 번 참여했습니다.",
    "디자인을 전공하고 프리랜서로 웹 퍼블리싱을 했습니다.",
    "군 복무 중 정보보호 업무를 보조하며 보안 분야에 흥미를 느꼈습니다.",
    "졸업 후 취업 준비를 하며 온라인 강의로 개발을 배워 왔습니다.",
]
MOTIVATION_REASONS = [
    "체계적인 커리큘럼과 현직자 멘토링으로 실무 역량을 키우고 싶습니다.",
    "팀 프로젝트를 통해 협업 경험을 쌓고 싶어 지원했습니다.",
    "AI를 활용한 서비스를 직접 기획하고 만들어 보고 싶습니다.",
    "포트폴리오를 완성해 관련 직무로 취업하는 것이 목표입니다.",
    "기초부터 다시 다지고 최신 기술을 익히고 싶습니다.",
]
MOTIVATION_GOALS = [
    "수료 후 데이터 기반 의사결정을 돕는 분석가가 되고 싶습니다.",
    "사용자에게 필요한 서비스를 만드는 개발자로 성장하겠습니다.",
    "성실하게 출석하고 모든 과제를 끝까지 해내겠습니다.",
    "배운 것을 동료들과 나누며 함께 성장하겠습니다.",
    "서울의 IT 기업에 취업해 오래 일하고 싶습니다.",
]
REJECTION_REASONS = {
    "screening": [
        "서류 평가 점수가 선발 기준에 미달했습니다.",
        "지원 동기와 과정 목표의 연관성이 낮습니다.",
        "지원 자격(연령·거주지) 요건을 충족하지 않습니다.",
        "현재 재직 중으로 지원 자격에 해당하지 않습니다.",
    ],
    "interview": [
        "면접 평가 점수가 선발 기준에 미달했습니다.",
        "면접에 참석하지 않았습니다.",
        "학습 계획이 과정 일정과 맞지 않습니다.",
    ],
}
SCORE_COMMENTS = [
    "",
    "",
    "지원 동기가 구체적임",
    "관련 경험이 풍부함",
    "기초 역량 보완 필요",
    "의사소통이 명확함",
    "학습 의지가 강함",
    "포트폴리오 수준이 우수함",
]
SESSION_SUMMARIES = {
    "mentoring": [
        "현업에서 쓰는 협업 도구와 코드 리뷰 방식을 소개했습니다.",
        "관심 직무의 하루 일과와 필요한 역량을 이야기했습니다.",
        "팀 프로젝트 주제를 함께 다듬었습니다. 범위를 줄여 보세요.",
        "신입 채용 시장 동향과 준비 순서를 정리했습니다.",
    ],
    "portfolio": [
        "포트폴리오 첫 페이지에 문제 정의와 결과를 먼저 보여 주세요.",
        "프로젝트별 역할과 기여도를 수치로 적어 보세요.",
        "README 구성과 시연 영상을 보완하기로 했습니다.",
    ],
    "mock_interview": [
        "자기소개 1분 버전을 연습했습니다. 결론부터 말해 보세요.",
        "기술 질문에 대한 답변이 좋았습니다. 경험 사례를 더 준비하세요.",
        "지원 동기 답변을 회사별로 다르게 준비하기로 했습니다.",
    ],
    "career": [
        "희망 직무와 지원 기업 목록을 함께 정리했습니다.",
        "이력서 경력 기술서를 직무 중심으로 고쳤습니다.",
        "취업 지원 일정과 매칭데이 참여를 안내했습니다.",
    ],
}
STAFF_NOTES = [
    "기초 통계 복습이 필요함.",
    "발표 연습을 더 하면 좋겠음.",
    "출석이 불규칙해 다음 주 다시 확인.",
    "데이터 분석 직무 희망, 관련 기업 추천 예정.",
    "자신감이 부족해 모의면접 추가 권장.",
    "",
]
FOLLOW_UPS = [
    "포트폴리오 주제 한 쪽 요약 작성",
    "이력서 초안 보내기",
    "GitHub README 정리",
    "모의면접 예상 질문 10개 답변 작성",
    "관심 기업 5곳 조사",
    "SQL 연습 문제 20개 풀기",
    "자기소개서 1번 항목 수정",
    "팀 프로젝트 회고 작성",
]
CANCEL_REASONS = [
    "교육생 개인 사정",
    "멘토 일정 변경",
    "팀 프로젝트 발표 준비로 일정 조정",
    "병원 진료",
    "기업 면접 일정과 겹침",
]
ATTENDANCE_NOTES = {
    "late": ["지각 10분", "교통 지연", "지각 20분", ""],
    "left_early": ["병원 진료로 조퇴", "개인 사정 조퇴", ""],
    "excused": ["예비군 훈련 (증빙 제출)", "병원 진료 (진단서 제출)", "기업 면접 (확인서 제출)"],
    "absent": ["", "", "연락 없음"],
}
DROP_NOTES = ["취업으로 중도 하차", "개인 사정", "건강 문제로 학업 중단", ""]
EXPEL_NOTES = ["결석 누적으로 제적", "출석률 기준 미달로 제적"]
ROOMS = ["3층 상담실", "2층 세미나실", "4층 멘토링룸", "5층 회의실 A"]
ONLINE = "온라인 (Zoom)"
