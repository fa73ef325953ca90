# ruff: noqa: E501  (the demo texts are paragraphs, one per line)
"""Demo guides: two countries of destination and one of origin, in the four languages. The
countries are fictional (ISO 3166 user-assigned codes XDA, XDB, XOA) and every guide is marked
demo: the text shows how the pages read, it is not advice about a real country. What holds
everywhere (ILO: no fees charged to workers, a written contract before departure, documents kept
by the worker) is said as such."""

from __future__ import annotations

from typing import Any

from vigil.server.safemigration.models import Guide

HOTLINE = "+000 000 0000"

TEXT: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "XDA": {
            "country_name": "Northland (demo)",
            "summary": "Many workers come to Northland for farm and construction work.",
        },
        "XDB": {
            "country_name": "Coastal Republic (demo)",
            "summary": "Domestic work, fishing and hotels employ many migrant workers here.",
        },
        "XOA": {"country_name": "Highland (demo)", "summary": "Before you leave Highland to work abroad."},
        "_": {
            "rights": "You have the same rights at work as national workers: a wage at least the legal minimum, paid on time; limits on working hours and a weekly rest; safe work; the right to keep your own passport and papers; the right to join a trade union; the right to leave your job and to complain without punishment.",
            "channels": "Be recruited only through a licensed agency or the public employment service, or directly by the employer. Check the agency's licence before you pay or sign anything.",
            "contract": "A written contract, in a language you read, before you leave: the employer's name and address, the job and the workplace, the wage and how it is paid, working hours and rest days, deductions (if any), housing, the length of the contract and how it ends.",
            "fees": "Under the ILO principles for fair recruitment, workers pay no recruitment fees or related costs: the employer pays for recruitment, travel, visas and medical checks. A demand for money for a job is a warning sign.",
            "warning_signs": "Someone keeps your passport; you owe a debt you cannot repay; the job or the pay is not what you were promised; you cannot leave the workplace or contact your family; threats against you or your family; you are told the police will arrest you if you complain.",
            "help": "Demo helpline (not a real number): "
            + HOTLINE
            + ". Your embassy or consulate. Trade unions and NGOs that help migrant workers. In danger now: call the local emergency number.",
        },
    },
    "fr": {
        "XDA": {
            "country_name": "Terre du Nord (démo)",
            "summary": "Beaucoup de travailleurs viennent en Terre du Nord pour l'agriculture et le bâtiment.",
        },
        "XDB": {
            "country_name": "République côtière (démo)",
            "summary": "Le travail domestique, la pêche et l'hôtellerie emploient ici beaucoup de travailleurs migrants.",
        },
        "XOA": {
            "country_name": "Hautes-Terres (démo)",
            "summary": "Avant de quitter les Hautes-Terres pour travailler à l'étranger.",
        },
        "_": {
            "rights": "Vous avez au travail les mêmes droits que les travailleurs nationaux : un salaire au moins égal au minimum légal, payé à temps ; des horaires limités et un repos hebdomadaire ; un travail sûr ; le droit de garder votre passeport et vos papiers ; le droit de vous syndiquer ; le droit de quitter votre emploi et de porter plainte sans être puni.",
            "channels": "Ne vous faites recruter que par une agence agréée ou par le service public de l'emploi, ou directement par l'employeur. Vérifiez la licence de l'agence avant de payer ou de signer quoi que ce soit.",
            "contract": "Un contrat écrit, dans une langue que vous lisez, avant le départ : le nom et l'adresse de l'employeur, l'emploi et le lieu de travail, le salaire et son mode de paiement, les horaires et les jours de repos, les retenues éventuelles, le logement, la durée du contrat et la façon dont il prend fin.",
            "fees": "Selon les principes de l'OIT pour un recrutement équitable, les travailleurs ne paient ni frais de recrutement ni coûts connexes : l'employeur paie le recrutement, le voyage, les visas et les examens médicaux. Demander de l'argent pour un emploi est un signe d'alerte.",
            "warning_signs": "Quelqu'un garde votre passeport ; vous avez une dette que vous ne pouvez pas rembourser ; l'emploi ou le salaire n'est pas celui promis ; vous ne pouvez pas quitter le lieu de travail ni joindre votre famille ; des menaces contre vous ou votre famille ; on vous dit que la police vous arrêtera si vous vous plaignez.",
            "help": "Ligne d'aide de démonstration (numéro fictif) : "
            + HOTLINE
            + ". Votre ambassade ou votre consulat. Les syndicats et les ONG qui aident les travailleurs migrants. En danger maintenant : appelez le numéro d'urgence local.",
        },
    },
    "es": {
        "XDA": {
            "country_name": "Tierra del Norte (demo)",
            "summary": "Muchas personas trabajadoras llegan a Tierra del Norte para la agricultura y la construcción.",
        },
        "XDB": {
            "country_name": "República Costera (demo)",
            "summary": "El trabajo doméstico, la pesca y la hostelería emplean aquí a muchas personas trabajadoras migrantes.",
        },
        "XOA": {
            "country_name": "Tierras Altas (demo)",
            "summary": "Antes de salir de las Tierras Altas para trabajar en el extranjero.",
        },
        "_": {
            "rights": "En el trabajo tiene los mismos derechos que las personas trabajadoras nacionales: un salario de al menos el mínimo legal, pagado a tiempo; límites a la jornada y un descanso semanal; un trabajo seguro; el derecho a conservar su pasaporte y sus documentos; el derecho a afiliarse a un sindicato; el derecho a dejar su empleo y a presentar una queja sin ser castigado/a.",
            "channels": "Déjese contratar solo por una agencia con licencia o por el servicio público de empleo, o directamente por el empleador. Compruebe la licencia de la agencia antes de pagar o firmar nada.",
            "contract": "Un contrato por escrito, en una lengua que usted lea, antes de salir: el nombre y la dirección del empleador, el puesto y el lugar de trabajo, el salario y cómo se paga, la jornada y los días de descanso, los descuentos (si los hay), el alojamiento, la duración del contrato y cómo termina.",
            "fees": "Según los principios de la OIT para una contratación equitativa, las personas trabajadoras no pagan comisiones de contratación ni gastos conexos: el empleador paga la contratación, el viaje, los visados y los exámenes médicos. Pedir dinero por un empleo es una señal de alerta.",
            "warning_signs": "Alguien se queda con su pasaporte; tiene una deuda que no puede pagar; el empleo o el salario no es el prometido; no puede salir del lugar de trabajo ni contactar con su familia; amenazas contra usted o su familia; le dicen que la policía le detendrá si se queja.",
            "help": "Línea de ayuda de demostración (número ficticio): "
            + HOTLINE
            + ". Su embajada o consulado. Los sindicatos y las ONG que ayudan a las personas trabajadoras migrantes. Si está en peligro ahora: llame al número de emergencia local.",
        },
    },
    "ar": {
        "XDA": {
            "country_name": "أرض الشمال (تجريبي)",
            "summary": "يأتي كثير من العمال إلى أرض الشمال للعمل في الزراعة والبناء.",
        },
        "XDB": {
            "country_name": "الجمهورية الساحلية (تجريبي)",
            "summary": "يعمل كثير من العمال المهاجرين هنا في العمل المنزلي وصيد الأسماك والفنادق.",
        },
        "XOA": {"country_name": "المرتفعات (تجريبي)", "summary": "قبل أن تغادر المرتفعات للعمل في الخارج."},
        "_": {
            "rights": "لك في العمل الحقوق نفسها التي للعمال المواطنين: أجر لا يقل عن الحد الأدنى القانوني يُدفع في موعده؛ ساعات عمل محدودة وراحة أسبوعية؛ عمل آمن؛ الحق في الاحتفاظ بجواز سفرك ووثائقك؛ الحق في الانضمام إلى نقابة؛ الحق في ترك عملك وتقديم شكوى دون عقاب.",
            "channels": "لا تقبل التوظيف إلا عن طريق وكالة مرخَّصة أو خدمة التوظيف العامة، أو مباشرة من صاحب العمل. تحقّق من ترخيص الوكالة قبل أن تدفع أو توقّع أي شيء.",
            "contract": "عقد مكتوب بلغة تقرؤها قبل أن تغادر: اسم صاحب العمل وعنوانه، والوظيفة ومكان العمل، والأجر وطريقة دفعه، وساعات العمل وأيام الراحة، والاقتطاعات إن وُجدت، والسكن، ومدة العقد وكيف ينتهي.",
            "fees": "وفق مبادئ منظمة العمل الدولية للتوظيف العادل، لا يدفع العمال رسوم توظيف ولا تكاليف متصلة بها: يدفع صاحب العمل تكاليف التوظيف والسفر والتأشيرات والفحوص الطبية. طلب المال مقابل وظيفة علامة تحذير.",
            "warning_signs": "شخص يحتفظ بجواز سفرك؛ عليك دَين لا تستطيع سداده؛ الوظيفة أو الأجر ليسا كما وُعدت؛ لا تستطيع مغادرة مكان العمل أو الاتصال بأسرتك؛ تهديدات ضدك أو ضد أسرتك؛ يقال لك إن الشرطة ستعتقلك إذا اشتكيت.",
            "help": "خط مساعدة تجريبي (رقم غير حقيقي): "
            + HOTLINE
            + ". سفارتك أو قنصليتك. النقابات والمنظمات غير الحكومية التي تساعد العمال المهاجرين. إذا كنت في خطر الآن: اتصل برقم الطوارئ المحلي.",
        },
    },
}
ROLES = {"XDA": Guide.Role.DESTINATION, "XDB": Guide.Role.DESTINATION, "XOA": Guide.Role.ORIGIN}


def load_safemigration_demo(reviewer: Any = None) -> int:
    """The demo guides, published as reviewed by ``reviewer``; an existing guide is left as it is."""
    from django.utils import timezone

    created = 0
    for lang, texts in TEXT.items():
        for country, role in ROLES.items():
            fields = {**texts["_"], **texts[country]}
            _guide, new = Guide.objects.get_or_create(
                country=country,
                language=lang,
                defaults={
                    **fields,
                    "role": role,
                    "demo": True,
                    "status": Guide.Status.PUBLISHED,
                    "reviewed_on": timezone.localdate(),
                    "reviewed_by": reviewer,
                },
            )
            created += int(new)
    return created
