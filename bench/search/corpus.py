"""The corpus the search benchmark queries: the people and permission shape of bench/population.py,
documents with one version each and their extracted text (a business vocabulary in Chinese and
English, Zipf-like, with a long tail of rare words), and grants, all written with COPY; and the two
query sets drawn from that vocabulary."""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from bench.common import copy_rows, reset_sequences
from bench.population import CLASSIFICATION_WEIGHTS, DEPARTMENTS, KINDS, TEAMS, seed_people, weighted

SEED = 20261122

ZH_WORDS = (
    "合同 报价 标书 数控机床 付款条件 验收标准 交货期 质量保证 售后服务 技术参数 设备 采购 订单 发票 金额 税率 甲方 乙方 "
    "违约责任 保修期 运输 包装 安装 调试 培训 备件 价格 折扣 有效期 规格 型号 数量 单价 总价 人民币 美元 工厂 车间 主轴 "
    "转速 精度 刀库 伺服电机 控制系统 加工中心 立式 卧式 五轴 激光切割 焊接 机器人 自动化 生产线 检测 仪器 材料 钢材 "
    "铝合金 客户 项目 投标 招标 评审 资质 证书 授权 代理 经销商 上海 北京 深圳 广州 苏州 杭州 天津 重庆 成都 武汉 公司 "
    "有限公司 股份 集团 技术 科技 机械 制造 精密 工业 系统 方案 报告 附件 条款 双方 约定 支付 预付款 尾款 银行 账户 "
    "签字 盖章 生效 终止 争议 仲裁 法律 适用 保密 知识产权 不可抗力 通知 地址 联系人 电话 传真 邮箱 日期 年 月 日 "
    "第一条 第二条 第三条 本合同 一式两份 具有同等法律效力 供货 需方 供方 货物 名称 产地 品牌 质量 标准 检验 "
    "合格 证明 文件 随机 资料 说明书 图纸 工期 进度 计划 延期 罚款 赔偿 损失 责任 义务 权利"
).split()
EN_WORDS = (
    "payment terms net 60 net 30 delivery schedule warranty period invoice purchase order acceptance criteria "
    "spindle speed machining center service level agreement penalty clause training spare parts installation "
    "quotation validity the of and to in for with on by at from as is are be this that shall will may supplier "
    "buyer customer contract price total amount currency tax discount quantity unit model specification "
    "technical parameters factory workshop accuracy tool magazine servo motor control system vertical horizontal "
    "five axis laser cutting welding robot automation production line inspection instrument material steel "
    "aluminium alloy project tender bid evaluation certificate authorization distributor company limited group "
    "technology machinery manufacturing precision industrial solution report appendix article parties agree "
    "advance balance bank account signature seal effective termination dispute arbitration law confidential "
    "intellectual property force majeure notice address contact phone email date first second third schedule "
    "goods origin brand quality standard test qualified documents manual drawings progress plan delay damages "
    "liability obligations rights Shanghai Beijing Shenzhen Suzhou ACME Corp Precision Works"
).split()
ZH_QUERIES = ["合同", "报价", "标书", "数控机床", "控机", "付款条件", "验收标准 交货期", "质量保证", "售后服务",
              "违约责任", "技术参数", "加工中心", "上海 合同", "報價", "设备 采购", "发票 金额", "五轴", "培训 备件",
              '"伺服电机"', "激光切割 OR 焊接"]
EN_QUERIES = ["payment terms", '"net 60"', "warranty", "delivery schedule", "invoice", "acceptance criteria",
              "spindle speed", "machining center", "service level", "penalty", "purchase order", "training",
              "spare parts", "installation", "quotation validity", "force majeure", "arbitration", "servo motor",
              "laser OR welding", "ACME -tender"]


def _zipf(words: list[str]) -> list[float]:
    return [1.0 / (rank + 1) ** 0.9 for rank in range(len(words))]


class TextMaker:
    """Deterministic business-like text in Chinese, English or both, of about `size` UTF-8 bytes."""

    def __init__(self, seed: int):
        rng = random.Random(seed)
        common = "".join(sorted(set("".join(ZH_WORDS))))
        rare_pool = common + "".join(chr(cp) for cp in range(0x4E00, 0x4E00 + 2500))
        self.zh = list(ZH_WORDS) + ["".join(rng.choice(rare_pool) for _ in range(2)) for _ in range(4000)]
        self.en = list(EN_WORDS) + ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9)))
                                    for _ in range(6000)]
        self.zh_weights = _zipf(self.zh)
        self.en_weights = _zipf(self.en)
        self.zh_cum = _cumulative(self.zh_weights)
        self.en_cum = _cumulative(self.en_weights)

    def sentence(self, rng: random.Random, lang: str) -> str:
        if lang == "zh":
            words = rng.choices(self.zh, cum_weights=self.zh_cum, k=rng.randint(6, 16))
            cut = len(words) // 2
            return "".join(words[:cut]) + "，" + "".join(words[cut:]) + "。"
        words = rng.choices(self.en, cum_weights=self.en_cum, k=rng.randint(8, 20))
        return " ".join(words).capitalize() + ". "

    def text(self, rng: random.Random, lang: str, size: int) -> str:
        parts, total = [], 0
        while total < size:
            piece = self.sentence(rng, "zh" if lang == "zh" or (lang == "mixed" and rng.random() < 0.5) else "en")
            parts.append(piece)
            total += len(piece.encode())
            if rng.random() < 0.08:
                number = f" {rng.randint(1000, 999999)} "
                parts.append(number)
                total += len(number)
        return "".join(parts)


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for weight in weights:
        total += weight
        out.append(total)
    return out


@dataclass
class Seeded:
    documents: int
    text_bytes: int
    seconds: float


def seed(*, docs: int, grants: int, users: int) -> Seeded:
    """Users, groups, documents, versions, their extracted text and grants, written with COPY."""
    from django.contrib.auth.models import Group, Permission
    from django.db import connection, transaction
    from django.utils import timezone

    from backend.access.models import DocumentGroupObjectPermission, DocumentUserObjectPermission
    from backend.accounts.models import Department, User
    from backend.documents.models import Document, DocumentVersion
    from indexing.models import VersionIndexState

    rng = random.Random(SEED)
    maker = TextMaker(SEED)
    started = time.perf_counter()
    now = timezone.now().replace(microsecond=0)
    span = dt.timedelta(days=3 * 365)
    text_bytes = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        user_dept = seed_people(rng, users=users, joined=now - span).user_dept

        classifications = weighted(rng, CLASSIFICATION_WEIGHTS, docs)
        owners = [rng.randint(1, users) for _ in range(docs)]
        kinds = [rng.choice(KINDS) for _ in range(docs)]
        step = span / docs
        created = [now - span + step * i for i in range(1, docs + 1)]
        customers = [f"{rng.choice(['上海', '苏州', '深圳', 'ACME', 'Nordic'])}{rng.choice(['精工', '重工', 'Precision'])}"
                     f"{c:03d}" for c in range(300)]
        titles = [f"{rng.choice(['供货合同', '报价单', '投标文件', 'Supply contract', 'Quotation', 'Tender'])} "
                  f"{rng.choice(customers)} {i}" for i in range(1, docs + 1)]
        copy_rows(Document, ["id", "title", "kind", "classification", "description", "created_at", "updated_at",
                             "version_count", "owner_id", "department_id", "valid_version_id"],
                  ((i, titles[i - 1], kinds[i - 1], classifications[i - 1], "", created[i - 1], created[i - 1], 1,
                    owners[i - 1], user_dept[owners[i - 1]], i) for i in range(1, docs + 1)))
        copy_rows(DocumentVersion, ["id", "document_id", "number", "object_key", "sha256", "size", "mime_type",
                                    "original_filename", "filename", "comment", "status", "uploaded_by_id",
                                    "created_at"],
                  ((i, i, 1, f"sha256/{i:064x}", f"{i:064x}", 10_000, "application/pdf", f"document-{i}.pdf",
                    f"document-{i}.pdf", "", "approved" if i % 2 else "draft", owners[i - 1], created[i - 1])
                   for i in range(1, docs + 1)))

        def state_rows():
            nonlocal text_bytes
            for i in range(1, docs + 1):
                doc_rng = random.Random(SEED * 1_000_003 + i)
                lang = weighted(doc_rng, (("zh", 50), ("en", 30), ("mixed", 20)), 1)[0]
                text = maker.text(doc_rng, lang, doc_rng.randint(1024, 20 * 1024))
                text_bytes += len(text.encode())
                yield (i, "pending", "", "bench", text, False, now, None, 1, now)

        copy_rows(VersionIndexState, ["version_id", "status", "reason", "extractor", "text", "text_truncated",
                                      "extracted_at", "indexed_at", "attempts", "updated_at"], state_rows())

        perms = dict(Permission.objects.filter(content_type__app_label="documents",
                                               content_type__model="document").values_list("codename", "id"))
        restricted = [i for i in range(1, docs + 1) if classifications[i - 1] in ("confidential", "secret")]

        def unique_grants(n: int, principal) -> list[tuple[int, int, int]]:
            seen: set[tuple[int, int, int]] = set()
            while len(seen) < n:
                doc = rng.choice(restricted) if rng.random() < 0.8 else rng.randint(1, docs)
                seen.add((principal(), perms["view_document"], doc))
            return sorted(seen, key=lambda row: row[2])

        n_user = grants * 4 // 5
        copy_rows(DocumentUserObjectPermission, ["user_id", "permission_id", "content_object_id"],
                  unique_grants(n_user, lambda: rng.randint(1, users)))
        copy_rows(DocumentGroupObjectPermission, ["group_id", "permission_id", "content_object_id"],
                  unique_grants(grants - n_user, lambda: rng.randint(1, DEPARTMENTS + TEAMS)))
        reset_sequences(Group, Department, User, Document, DocumentVersion, DocumentUserObjectPermission,
                        DocumentGroupObjectPermission)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Seeded(documents=docs, text_bytes=text_bytes, seconds=time.perf_counter() - started)


def seeded_already(docs: int) -> Seeded | None:
    """The corpus a previous --reuse run left in the database, or None when it is not complete."""
    from django.db import connection

    from backend.documents.models import DocumentVersion

    if DocumentVersion.objects.count() != docs:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(octet_length(text)), 0) FROM indexing_versionindexstate")
        text_bytes = int(cursor.fetchone()[0])
    return Seeded(documents=docs, text_bytes=text_bytes, seconds=0.0)
