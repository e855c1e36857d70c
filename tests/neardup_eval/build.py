"""Build the labelled near-duplicate evaluation set: ``docs.jsonl`` and ``pairs.csv``.

    python tests/neardup_eval/build.py [--seeds DIR] [--replica DIR] [--out DIR]

Deterministic: the same inputs give byte-identical files (every random choice
comes from a ``random.Random`` seeded with the story id). Inputs:

* the seed texts (``../shared/seeds`` beside the project): 中新网's two stories,
  北极星's reposts of a 上海市人民政府 plan and a 江门市科学技术局 notice, 自贡网's
  story and a Shanghai story with five teasers;
* the replica's expected records (``replica/expected/*.json``) when they exist.

From each story it derives the copies the archive meets — 北极星-style reposts
with their lead line and footer (the seeds' own noise), syndicated copies with
another site's furniture, a truncated repost (first 60 %), light edits, a
two-page original against a one-page repost and a repost of page one only —
and labels every pair of copies of one story positive. Hard negatives: other
stories on the same topic, short 通知 built on one template (same opening and
closing lines, different business), a department's successive notices (第N批,
YYYY年度, monthly reports: nearly the same wording, different batch) and
different stories from one site. ``docs.jsonl`` also says which copy should
be each group's canonical article.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
REPLICA = ROOT / "replica" / "expected"

# ---------------------------------------------------------------- the seeds' noise

BJX_FOOTER = [
    "投稿与新闻线索:陈女士 微信/手机:13693626116 邮箱:chenchen#bjxmail.com(请将#改成@)",
    "特别声明:北极星转载其他网站内容,出于传递更多信息而非盈利之目的,同时并不代表赞成其观点或证实其描述,"
    "内容仅供参考。版权归原作者所有,若有侵权,请联系我们删除。",
    "凡来源注明北极星*网的内容为北极星原创,转载需获授权。",
]
BJX_CHANNELS = ["氢能", "电力软件", "储能", "风力发电", "太阳能光伏", "电力", "环保"]
# Furniture the normaliser does not know about: it must survive as noise.
UNKNOWN_NOISE = [
    "【纠错】", "微信扫码分享", "欢迎关注北极星{ch}网微信公众号", "本文来自:{site}", "扫描二维码 分享到微信",
    "【我要纠错】 责任编辑:{editor}", "更多精彩内容请下载客户端", "点赞 收藏 转发",
]
SYNDICATORS = [
    ("sohu", "https://www.sohu.com/a/{n}_120{n2}", "搜狐", "来源:中国新闻网", "返回搜狐,查看更多"),
    ("163", "https://www.163.com/dy/article/{n}.html", "网易", "本文来源:中国新闻网", "网易新闻客户端"),
    ("jiemian", "https://www.jiemian.com/article/{n}.html", "界面", "(来源:中国新闻网)", "界面新闻 APP"),
]
EDITORS = ["张文瀚", "王晓明", "李婷", "陈思远", "刘洋", "赵晨"]
SYNONYMS = [("推进", "推动"), ("加快", "加速"), ("重点", "主要"), ("进一步", "更加"), ("积极", "大力"),
            ("支持", "扶持"), ("建设", "打造"), ("提升", "提高"), ("相关负责人", "负责人"), ("目前", "当前")]


def rng_for(key: str) -> random.Random:
    return random.Random(int(hashlib.sha1(key.encode()).hexdigest()[:12], 16))


# ---------------------------------------------------------------- stories from the seeds

def _seed(prefix: str, seeds: Path) -> list[str]:
    path = next(seeds.glob(prefix + "_*.txt"))
    return path.read_text("utf-8").splitlines()


def _paras(lines) -> list[str]:
    return [ln.strip() for ln in lines if ln.strip()]


def seed_stories(seeds: Path) -> list[dict]:
    stories = []
    # 000: two 中新网 stories, each a title line ending "******"
    lines = _seed("000", seeds)
    heads = [i for i, ln in enumerate(lines) if ln.endswith("******")] + [len(lines)]
    meta = [("2023-01-09T16:20:00+08:00", "cd"), ("2023-01-12T10:05:00+08:00", "sh")]
    for k, (a, b) in enumerate(zip(heads, heads[1:])):
        stories.append(dict(id=f"cns{k}", site="chinanews", title=lines[a].rstrip("*"),
                            url=f"https://www.chinanews.com.cn/cj/2023/01-{9 + 3 * k:02d}/99{k}1234.shtml",
                            source="中国新闻网", published_at=meta[k][0], text="\n".join(_paras(lines[a + 1:b]))))
    # 001: 北极星 repost of a 上海市人民政府 plan → the government original is its body
    lines = _seed("001", seeds)
    s, e = lines.index("我要投稿") + 1, next(i for i, ln in enumerate(lines) if ln.startswith("投稿与新闻线索"))
    stories.append(dict(id="shgov", site="shanghai_gov", title="上海市建设具有全球影响力的科技创新中心“十四五”规划",
                        url="https://www.shanghai.gov.cn/nw12344/20210929/5a1b2c3d.html", source="上海市人民政府",
                        published_at="2021-09-29T10:00:00+08:00", text="\n".join(_paras(lines[s:e])),
                        gov=True, repost_title=_paras(lines[5:8])[0]))
    # 003: 北极星 repost of a 江门市科学技术局 notice; the original starts after "原文如下:"
    lines = _seed("003", seeds)
    s = lines.index("我要投稿") + 1
    o = next(i for i, ln in enumerate(lines) if ln.startswith("原文如下"))
    e = next(i for i, ln in enumerate(lines) if ln.startswith("投稿与新闻线索"))
    stories.append(dict(id="jmgov", site="jiangmen_kjj", title=_paras(lines[o + 1:o + 3])[0],
                        url="https://www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg/content/post_2950001.html",
                        source="江门市科学技术局", published_at="2023-11-16T09:00:00+08:00",
                        text="\n".join(_paras(lines[o + 1:e])), gov=True,
                        bjx_lead="\n".join(_paras(lines[s:o + 1])), repost_title=_paras(lines[5:8])[0]))
    # 002: 自贡网 story, without photo captions and the credit lines
    lines = _seed("002", seeds)
    s = next(i for i, ln in enumerate(lines) if ln.startswith("自贡融媒记者")) + 1
    e = next(i for i, ln in enumerate(lines) if ln.startswith("编辑"))
    body = [p for p in _paras(lines[s:e]) if not re.search(r"\.(jpg|png)|摄$|资料图片", p)]
    stories.append(dict(id="zgm", site="zgm", title=_paras(lines[5:8])[0], url="https://www.zgm.cn/content/2024-10/22/content_11111.html",
                        source="自贡网", published_at="2024-10-22T13:35:00+08:00", text="\n".join(body)))
    # 004: a Shanghai story and five teasers (each a title line twice, then a paragraph)
    lines = _paras(_seed("004", seeds))
    dup = [i for i in range(1, len(lines)) if lines[i] == lines[i - 1]]
    main_end = dup[0] - 1
    stories.append(dict(id="baoshan", site="shobserver", title=lines[0].split("|")[0],
                        url="https://www.shobserver.com/news/detail?id=600001", source="上观新闻",
                        published_at="2023-07-07T08:00:00+08:00", text="\n".join(lines[2:main_end])))
    for k, i in enumerate(dup):
        stories.append(dict(id=f"teaser{k}", site="shobserver", title=lines[i].split("|")[0].rstrip(",，"),
                            url=f"https://www.shobserver.com/news/detail?id=6001{k:02d}", source="上观新闻",
                            published_at=f"2023-06-{20 + k:02d}T09:00:00+08:00", text=lines[i + 1]))
    return stories


# Replica records that are copies of a seed story (checked by reading them): the first
# is the story's original; the others are real reposts the replica already holds.
REPLICA_OF = {
    "shgov": ["sh-001", "bjx-001"],  # 上海市人民政府's plan and 北极星's repost of two chapters
    "jmgov": ["jm-001", "bjx-002"],  # 江门市科学技术局's notice and 北极星's repost
    "cns0": ["cn-001"],
    "cns1": ["cn-002"],
    "zgm": ["zgm-001"],
    "baoshan": ["sh-002"],  # 解放日报's story on the 上海市人民政府 portal
}
THEMES = [("pilot", "中试"), ("hydrogen", "氢"), ("storage", "储能"), ("carbon", "碳"), ("tech", "科技")]


def theme(title: str, text: str) -> str:
    head = (title or "") + (text or "")[:200]
    return next((t for t, word in THEMES if word in head), "misc")


def _record(stem: str, rec: dict) -> dict:
    return dict(site=rec.get("site") or "replica", title=rec.get("title") or "", url=rec["url"],
                source=rec.get("source") or "", published_at=rec.get("published_at"), text=rec["text"], stem=stem)


def with_replica(stories: list[dict], replica: Path) -> list[dict]:
    """Seed stories, their originals replaced by the replica's records when present, plus the other records."""
    records = {p.stem: json.loads(p.read_text("utf-8"))
               for p in (sorted(replica.glob("*.json")) if replica.is_dir() else [])}
    used = set()
    for s in stories:
        stems = [x for x in REPLICA_OF.get(s["id"], []) if x in records]
        if stems and stems[0] == REPLICA_OF[s["id"]][0]:
            s.update({k: v for k, v in _record(stems[0], records[stems[0]]).items() if k != "stem"})
            s["replica_copies"] = [_record(x, records[x]) for x in stems[1:]]
        used.update(stems)
    for stem, rec in records.items():
        if stem in used or len(re.sub(r"\s", "", rec.get("text") or "")) < 80:
            continue
        stories.append(dict(_record(stem, rec), id="r-" + stem))
    for s in stories:
        s.setdefault("topic", theme(s["title"], s["text"]))
    return stories


# ---------------------------------------------------------------- variants

def _later(iso: str | None, days: int, hours: int = 0) -> str | None:
    if not iso:
        return None
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(iso) + timedelta(days=days, hours=hours)).isoformat()


def light_edit(text: str, r: random.Random) -> str:
    """A copy editor's touch: synonyms, punctuation, a dropped and an added sentence, number style."""
    paras = text.split("\n")
    out = []
    dropped = False
    for p in paras:
        sents = re.split(r"(?<=[。！？])", p)
        new = []
        for snt in sents:
            if not snt:
                continue
            x = r.random()
            if x < 0.04 and not dropped and len(sents) > 2:
                dropped = True
                continue
            if x < 0.25:
                a, b = r.choice(SYNONYMS)
                snt = snt.replace(a, b, 1)
            elif x < 0.32:
                snt = (snt.replace("，", ",") if "，" in snt else snt.replace(",", "，")) if r.random() < 0.5 \
                    else snt.replace("“", "「").replace("”", "」")
            elif x < 0.36:
                snt = "记者了解到，" + snt
            new.append(snt)
        out.append("".join(new))
    edited = "\n".join(o for o in out if o)
    if edited == text:  # too short for the dice to touch it: one change at least
        edited = "记者了解到，" + text.replace("，", ",").replace("。", ".", 1)
    return edited


def bjx_repost(story: dict, r: random.Random, body: str, *, lead_summary: bool = True) -> str:
    ch = r.choice(BJX_CHANNELS)
    first = re.split(r"(?<=[。！？])", body.split("\n")[0])[0][:80]
    lines = []
    if lead_summary:
        lines.append(f"北极星{ch}网获悉，近日，{story['source']}发布消息。{first}")
    lines.append(body)
    if r.random() < 0.5:
        lines.append(r.choice(UNKNOWN_NOISE).format(ch=ch, site="北极星" + ch + "网", editor=r.choice(EDITORS)))
    lines += BJX_FOOTER
    return "\n".join(lines)


def syndicated(story: dict, r: random.Random, body: str) -> tuple[str, str, str]:
    key, url, name, src_line, tail = r.choice(SYNDICATORS)
    url = url.format(n=r.randrange(10**8, 10**9), n2=r.randrange(100, 999))
    lines = [src_line, body, f"编辑:{r.choice(EDITORS)}", tail]
    if r.random() < 0.5:
        lines.insert(2, r.choice(UNKNOWN_NOISE).format(ch="", site=name, editor=r.choice(EDITORS)))
    return key, url, "\n".join(lines)


def two_pages(text: str) -> tuple[str, str]:
    """(the text as a two-page original joins it, page one alone)."""
    paras = text.split("\n")
    total = sum(len(p) for p in paras)
    acc, cut = 0, 1
    for i, p in enumerate(paras):
        acc += len(p)
        if acc >= total * 0.5:
            cut = max(1, i + 1)
            break
    p1, p2 = paras[:cut], paras[cut:]
    nav = "上一页 1 2 下一页"
    joined = "\n".join(p1 + [nav] + p2 + ["首页 上一页 1 2"])
    return joined, "\n".join(p1)


def truncate(text: str, share: float = 0.6) -> str:
    return text[: int(len(text) * share)]


def variants(story: dict) -> list[dict]:
    """The copies of one story the archive would meet; the first is the original."""
    r = rng_for(story["id"])
    text = story["text"]
    base = {k: story[k] for k in ("site", "url", "title", "source", "published_at")}
    docs = [dict(base, kind="original")]
    docs[0]["text"] = text
    long_ = len(text) >= 800
    n = 0

    def add(kind, site, url, text_, *, source=None, days=1, title=None):
        nonlocal n
        n += 1
        docs.append(dict(kind=kind, site=site, url=url, text=text_, title=title or story["title"],
                         source=story["source"] if source is None else source,
                         published_at=_later(story["published_at"], days, n)))

    bjx_url = lambda: f"https://news.bjx.com.cn/html/{r.randrange(20210101, 20241231)}/{r.randrange(10**6, 10**7)}.shtml"  # noqa: E731
    add("boilerplate", "bjx", bjx_url(), bjx_repost(story, r, text), title=story.get("repost_title"))
    key, url, t = syndicated(story, r, text)
    add("syndication", key, url, t, days=0)
    if long_:
        add("truncated", "bjx", bjx_url(), bjx_repost(story, r, truncate(text)), days=2)
        paged, page1 = two_pages(text)
        add("two_page_original", story["site"] + "-paged", story["url"].replace(".", "-p.", 1), paged, days=0)
        add("one_page_repost", "bjx", bjx_url(), bjx_repost(story, r, text, lead_summary=False), days=3)
        add("first_page_repost", "bjx", bjx_url(), bjx_repost(story, r, page1), days=3)
    add("light_edit", "portal", f"https://www.example-portal.cn/news/{r.randrange(10**6, 10**7)}.html",
        light_edit(text, r), days=1)
    for rec in story.get("replica_copies", ()):  # a real repost the replica holds
        docs.append(dict(rec, kind="replica_repost"))
        docs[-1].pop("stem", None)
    if story.get("bjx_lead"):  # the seed's own 北极星 repost, summary lead and all
        add("seed_repost", "bjx", "https://news.bjx.com.cn/html/20231121/1344000.shtml",
            "\n".join([story["bjx_lead"], text] + BJX_FOOTER), title=story.get("repost_title"), days=0)
    for d in docs:
        d["story"] = story["id"]
        d["topic"] = story["topic"]
    # the expected canonical: the government original, else the earliest published
    if story.get("gov"):
        docs[0]["canonical"] = True
    else:
        min(docs, key=lambda d: d["published_at"] or "9999")["canonical"] = True
    return docs


# ---------------------------------------------------------------- notices (hard negatives)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鑫波宁凯健浩宇晨佳琳雪婷志诚"
UNITS = ["五邑大学", "江门职业技术学院", "省科学院江门产研院", "江门双碳实验室", "台山市农业农村局",
         "开平市科技服务中心", "鹤山市农业技术推广中心", "恩平市科学技术协会", "新会区陈皮产业研究院",
         "江门市农业科学研究所", "蓬江区科技创新服务中心", "江海区生产力促进中心"]
CN_ORD = "一二三四五六七八九十"


def _name(r):
    return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2))))


def _sentences(stories: list[dict]) -> list[str]:
    out = []
    for s in stories:
        for snt in re.split(r"(?<=[。！？])", s["text"].replace("\n", "")):
            if 30 <= len(snt) <= 90:
                out.append(snt)
    return out


def notices(stories: list[dict]) -> list[dict]:
    r = rng_for("notices")
    pool = _sentences(stories)
    r.shuffle(pool)
    docs = []
    jm = dict(site="jiangmen_kjj", source="江门市科学技术局")

    def url(n):
        return f"https://www.jiangmen.gov.cn/bmpd/jmskjj/zwgk/tzgg/content/post_{2960000 + n}.html"

    # (a) template notices: same opening and closing lines, different business
    subjects = ["开展2024年科技活动周", "做好科技型中小企业评价入库", "征集科技成果转化典型案例", "开展科普基地认定",
                "推荐创新创业大赛参赛项目", "开展孵化器运营评价", "报送科技特派员工作总结", "组织参加科技成果对接会"]
    for k, subject in enumerate(subjects):
        nbody = 1 + k % 3
        body = [pool.pop() for _ in range(nbody)]
        date = "2024年3月15日" if k % 3 == 0 else f"2024年{3 + k}月{10 + k}日"  # some signed the same day
        text = "\n".join([
            f"江门市科学技术局关于{subject}的通知",
            "各县(市、区)科技主管部门,各有关单位:",
            f"为贯彻落实省、市有关工作部署,现就{subject}有关事项通知如下:",
            *body,
            f"请各单位高度重视,认真组织,于{date[5:]}前将有关材料报送我局。联系人:{_name(r)},电话:0750-3{r.randrange(100000, 999999)}。",
            "特此通知。", "江门市科学技术局", date])
        sid = f"tpl{k}"
        pub = f"2024-{3 + k:02d}-{10 + k:02d}T10:00:00+08:00" if k % 3 else "2024-03-15T10:00:00+08:00"
        docs.append(dict(jm, story=sid, topic="template", kind="original", url=url(k), text=text,
                         title=f"江门市科学技术局关于{subject}的通知", published_at=pub, canonical=True))
        if k % 2 == 0:  # the city portal reposts some of them: a true duplicate of a short notice
            docs.append(dict(site="jiangmen_gov", source="江门市科学技术局", story=sid, topic="template",
                             kind="portal_repost", url=f"https://www.jiangmen.gov.cn/zwgk/tzgg/content/post_{2970000 + k}.html",
                             text="来源:江门市科学技术局\n" + text + "\n【打印本页】【关闭窗口】",
                             title=f"江门市科学技术局关于{subject}的通知", published_at=_later(pub, 1)))
    # (b) successive notices: 第N批 lists, nearly the same wording
    for k in range(5):
        names = [f"{_name(r)}({r.choice(UNITS)})" for _ in range(6 + k % 3)]
        n = CN_ORD[k]
        date = f"2023年{5 + 2 * k}月{8 + k}日"
        text = "\n".join([
            f"江门市科学技术局关于公布2023年第{n}批江门市科技特派员名单的通知",
            "各县(市、区)科技主管部门,各有关单位:",
            f"根据《江门市科技特派员管理办法》,经单位推荐、专家评审和网上公示,现将2023年第{n}批江门市科技特派员名单予以公布。"
            "请各科技特派员按照有关要求深入企业和县镇村开展服务,各派出单位要加强管理和支持。",
            "名单如下:", "、".join(names), "江门市科学技术局", date])
        docs.append(dict(jm, story=f"batch{k}", topic="successive", kind="original", url=url(20 + k), text=text,
                         title=f"江门市科学技术局关于公布2023年第{n}批江门市科技特派员名单的通知",
                         published_at=f"2023-{5 + 2 * k:02d}-{8 + k:02d}T10:00:00+08:00", canonical=True))
    # (c) successive annual calls: the same call, year after year
    for k, year in enumerate((2022, 2023, 2024, 2025)):
        text = "\n".join([
            f"江门市科学技术局关于组织申报{year}年度江门市科技计划项目的通知",
            "各有关单位:",
            f"为做好{year}年度江门市科技计划项目组织申报工作,根据《江门市科技计划项目管理办法》,现将有关事项通知如下:",
            f"一、申报范围。{year}年度市科技计划设基础与应用基础研究、重点领域研发、科技成果转化、科技创新平台等类别,"
            f"重点支持{r.choice(['硅能源', '新能源电池', '高端装备', '生物医药', '预制菜', '现代种业'])}等产业。",
            f"二、申报时间。网上申报时间为{year}年{2 + k % 2}月{10 + k}日至{year}年{3 + k % 2}月{20 - k}日。",
            "三、申报要求。申报单位应当在江门市注册,具有独立法人资格,项目负责人同期主持在研市级项目不超过1项。",
            f"联系人:{_name(r)},电话:0750-3{r.randrange(100000, 999999)}。",
            "江门市科学技术局", f"{year - 1}年{12 - k}月{20 + k}日"])
        docs.append(dict(jm, story=f"annual{k}", topic="successive", kind="original", url=url(40 + k), text=text,
                         title=f"江门市科学技术局关于组织申报{year}年度江门市科技计划项目的通知",
                         published_at=f"{year - 1}-{12 - k:02d}-{20 + k:02d}T10:00:00+08:00", canonical=True))
    # (d) successive monthly reports: same wording, different month and figures
    for k, month in enumerate((3, 4, 5, 6)):
        rows = [f"{u}:在孵企业{r.randrange(20, 90)}家,新增{r.randrange(1, 15)}家,毕业{r.randrange(0, 6)}家,"
                f"营业收入{r.randrange(1000, 9000)}万元。" for u in r.sample(
                    ["江门高新区孵化器", "翠山湖孵化器", "鹤山孵化器", "台山孵化器", "开平孵化器", "恩平孵化器",
                     "江海孵化器", "蓬江孵化器"], 6)]
        text = "\n".join([
            f"关于2024年{month}月份全市科技企业孵化器运营情况的通报",
            "各县(市、区)科技主管部门,各孵化器运营单位:",
            f"现将2024年{month}月份全市科技企业孵化器运营情况通报如下:", *rows,
            "请各运营单位对照通报情况,进一步提升孵化服务质量。"])
        docs.append(dict(jm, story=f"monthly{k}", topic="successive", kind="original", url=url(60 + k), text=text,
                         title=f"关于2024年{month}月份全市科技企业孵化器运营情况的通报",
                         published_at=f"2024-{month + 1:02d}-05T10:00:00+08:00", canonical=True))
    return docs


# ---------------------------------------------------------------- pairs

def build(seeds: Path, replica: Path) -> tuple[list[dict], list[tuple]]:
    stories = with_replica(seed_stories(seeds), replica)
    docs = []
    for s in stories:
        docs += variants(s)
    docs += notices(stories)
    for i, d in enumerate(docs):
        d["doc"] = f"d{i:04d}"
        d.setdefault("canonical", False)
    pairs = []
    for a, b in itertools.combinations(docs, 2):
        if a["story"] == b["story"]:
            kinds = {a["kind"], b["kind"]}
            kind = (kinds - {"original"}).pop() if "original" in kinds else "copy_vs_copy"
            pairs.append((a["doc"], b["doc"], 1, kind))
        elif a["topic"] == b["topic"]:
            cat = {"template": "template_notice", "successive": "successive_notice"}.get(a["topic"], "same_topic")
            pairs.append((a["doc"], b["doc"], 0, cat))
        elif a["site"] == b["site"]:
            pairs.append((a["doc"], b["doc"], 0, "same_site"))
        elif a["kind"] == b["kind"] == "original" or rng_for(a["doc"] + b["doc"]).random() < 0.02:
            pairs.append((a["doc"], b["doc"], 0, "other"))
    return docs, pairs


FIELDS = ("doc", "story", "kind", "topic", "canonical", "site", "url", "title", "source", "published_at", "text")


def write(docs, pairs, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "docs.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for d in docs:
            f.write(json.dumps({k: d.get(k) for k in FIELDS}, ensure_ascii=False) + "\n")
    with open(out / "pairs.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["a", "b", "same_story", "category"])
        w.writerows(pairs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=Path, default=SEEDS)
    ap.add_argument("--replica", type=Path, default=REPLICA)
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)
    if not args.seeds.is_dir():
        print(f"no seed texts at {args.seeds}", file=sys.stderr)
        return 2
    docs, pairs = build(args.seeds, args.replica)
    write(docs, pairs, args.out)
    pos = sum(p[2] for p in pairs)
    print(f"{len(docs)} documents, {len(pairs)} pairs ({pos} same story, {len(pairs) - pos} not) → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
