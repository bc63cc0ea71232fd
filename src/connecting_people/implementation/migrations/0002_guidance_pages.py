"""Seed the guidance pages with our own text: one page for each step of the cycle and a guide for the person
supported. Administrators edit the wording afterwards in the admin. Reversing removes the seeded pages."""

from django.db import migrations

PAGES = [
    {
        "step": "assess",
        "slug": "assess",
        "order": 1,
        "title": "Assessing connections",
        "summary": (
            "Finding out together who is in the person's life now, who they have lost touch with, and what "
            "they enjoy and would like."
        ),
        "sections": [
            (
                "What good looks like",
                "The person and the worker build the picture together. The person does most of the talking; "
                "the worker asks, listens and writes it down in the person's own words.\n\n"
                "- The connections map is started within four weeks of the person being allocated.\n"
                "- It covers family, friends, neighbours, groups, places and services, not only the people who "
                "give care.\n"
                "- It shows who helps with what: someone to talk to, practical help, information, company.\n"
                "- It includes people the person has lost touch with and would like to see again.\n"
                "- Strengths and interests are written down as carefully as problems: what the person is good "
                "at, what they used to enjoy, what they would like to try.\n"
                "- The person keeps a copy if they want one.",
            ),
            (
                "Common barriers",
                "- The first meetings are taken up by a crisis. Come back to the map as soon as things settle, "
                "even for ten minutes.\n"
                "- The person says they have no one. Go through the last week in detail: the shop, the bus, "
                "the neighbour, the online group. Small contacts count.\n"
                "- Talking about lost relationships is painful. Go at the person's pace and leave room on the "
                "map to come back to.\n"
                "- It feels like one more form. Make the map with the person, on screen or on paper, rather "
                "than writing it up afterwards.",
            ),
            (
                "Ideas",
                "- Start with what the person enjoys rather than who they know: people tend to come up on "
                "their own.\n"
                "- Ask who they would call if the boiler broke, if they had good news, or if they felt low.\n"
                "- Use the printed map to start the conversation at the next meeting.\n"
                "- Note one or two things the person would like to be different. These become the first goals.",
            ),
        ],
    },
    {
        "step": "plan",
        "slug": "plan",
        "order": 2,
        "title": "Planning together",
        "summary": "Agreeing goals for new or renewed connections, and the steps each of you will take.",
        "sections": [
            (
                "What good looks like",
                "Goals come from what the person said they want, in their words. Each goal has a few small "
                "steps, and each step says who will do it and by when. The person and the worker both take on "
                "steps.\n\n"
                "- At least one goal is about a connection: meeting people, joining something, getting back in "
                "touch.\n"
                "- Each goal says what success would look like, and what a bit less or a bit more would look "
                "like, so progress can be scored at the review.\n"
                "- Steps are small enough to do before the next meeting.\n"
                "- Where a community opportunity fits a goal, it is linked to it.\n"
                "- The person has a copy of the plan in plain words.",
            ),
            (
                "Common barriers",
                "- The worker writes the goals for the person. Read each goal back: does the person recognise "
                "it as their own?\n"
                "- Goals are too big, such as \"make friends\". Ask what a first step towards it could be this "
                "week.\n"
                "- Every step belongs to the worker. Ask what the person would like to do themselves, however "
                "small.\n"
                "- The plan is only about symptoms. Keep those goals, and add one about the life the person "
                "wants.",
            ),
            (
                "Ideas",
                "- Look at the map together and ask which part of it the person would most like to change.\n"
                "- Search the community directory with the person, starting from their interests.\n"
                "- Agree the date of the first review when the plan is made.\n"
                "- Write steps as actions: \"ring the walking group on Monday\", not \"think about walking\".",
            ),
        ],
    },
    {
        "step": "do",
        "slug": "do",
        "order": 3,
        "title": "Doing: acting on the plan",
        "summary": "Supporting the person to carry out the plan in their local community.",
        "sections": [
            (
                "What good looks like",
                "The worker helps the person make a start, then steps back as their confidence grows. New "
                "connections usually come from doing things the person values, not from being told to "
                "socialise.\n\n"
                "- The worker makes introductions, by phone or in person.\n"
                "- The worker goes along the first time when that helps, and agrees beforehand when they will "
                "stop.\n"
                "- Practical barriers are sorted out early: travel, cost, what to wear, what to expect.\n"
                "- After each try, the worker asks how it went and what would make next time easier.\n"
                "- Each contact is logged, so the team can see what was done.",
            ),
            (
                "Common barriers",
                "- Crisis work takes all the time. Keep a regular slot for connection work, and tell your team "
                "lead when it is lost.\n"
                "- The person does not go on the day. Treat it as information, not failure: ask what got in "
                "the way and try a smaller step.\n"
                "- The group is not what it seemed. Go back to the directory and the person's interests, and "
                "correct the directory entry if it was wrong.\n"
                "- Worries about risk. Talk through what could go well as well as what could go wrong, and plan "
                "for the likely problems.",
            ),
            (
                "Ideas",
                "- Visit a new group on your own first, so that you can describe it honestly.\n"
                "- Find out who runs the group and introduce the person to them by name.\n"
                "- Look for free or low-cost options and help with travel before money becomes a reason not to "
                "go.\n"
                "- Peer supporters and volunteers can go along when the worker cannot.",
            ),
        ],
    },
    {
        "step": "review",
        "slug": "review",
        "order": 4,
        "title": "Reviewing",
        "summary": "Looking back together at what has changed, scoring the goals and deciding what comes next.",
        "sections": [
            (
                "What good looks like",
                "Reviews happen on the date agreed, with the person there. They look at the goals, the "
                "connections map and how the person feels, and end with a decision about what happens next.\n\n"
                "- Each goal is scored against what was agreed when it was set.\n"
                "- The connections map is updated, so you can both see who is new, who is closer and who has "
                "gone.\n"
                "- Outcome measures due at this point are completed together.\n"
                "- The next review date is set before the meeting ends.\n"
                "- The person hears what has gone well, in specific terms.",
            ),
            (
                "Common barriers",
                "- Reviews slip because of other work. Book them when the plan is made, and keep them unless "
                "the person asks to move them.\n"
                "- Nothing seems to have changed. Put this map beside the last one: small changes are easy to "
                "miss.\n"
                "- A goal no longer fits. It is fine to stop it and set a new one; note why.\n"
                "- Scoring feels awkward. Explain that it is the plan being scored, not the person.",
            ),
            (
                "Ideas",
                "- Ask the person what they are most pleased about before going through the goals.\n"
                "- Use the review summary, which shows goals, map and measures side by side.\n"
                "- Mark every connection made, however small.",
            ),
        ],
    },
    {
        "step": "moving_on",
        "slug": "moving-on",
        "order": 5,
        "title": "Moving on",
        "summary": "Helping the person leave the service with connections that will last.",
        "sections": [
            (
                "What good looks like",
                "Moving on is planned from the start, not added at the end. When support ends, the person has "
                "connections that do not depend on the service, and knows what to do if things get harder.\n\n"
                "- The person and the worker agree together when the person is ready to move on.\n"
                "- The last review looks at which connections are likely to last and what keeps them going.\n"
                "- Contact with the worker eases off rather than stopping suddenly.\n"
                "- The person knows how to get back in touch, and with whom.\n"
                "- Links with groups and organisations belong to the person, not to the worker.",
            ),
            (
                "Common barriers",
                "- The person is afraid of losing support. Talk about moving on early and reduce contact step "
                "by step.\n"
                "- Connections rely on the worker being there. Check the person can get to the group and be "
                "welcomed without the worker.\n"
                "- Cases close because of caseload pressure rather than readiness. Record the real reason, so "
                "the team can see the pattern.",
            ),
            (
                "Ideas",
                "- Give the person their latest connections map and plan to keep.\n"
                "- Help them name one or two people they could turn to after support ends.\n"
                "- If they would like to, suggest volunteering or becoming a peer supporter.",
            ),
        ],
    },
    {
        "step": "person",
        "slug": "your-guide",
        "order": 6,
        "title": "Connecting People: a guide for you",
        "summary": "What this way of working is, what we will do together, and what you can expect from us.",
        "sections": [
            (
                "What this is",
                "Connecting People is a way of working that helps you feel less alone and more part of things "
                "around you, if that is what you want. It starts with you: what you enjoy, what you are good at "
                "and what you would like to do.\n\n"
                "You and your worker work as a team. You decide together what to aim for, and you both do "
                "things to make it happen.",
            ),
            (
                "What we will do together",
                "- Talk about who is in your life now, who you have lost touch with, and who helps you with "
                "what. We will draw this as a map.\n"
                "- Agree one or more goals, in your words, and small steps towards them.\n"
                "- Find groups, places or activities near you that fit what you enjoy. Your worker can come "
                "with you the first time if that helps.\n"
                "- Every few months, look back together at what has changed and decide what to do next.",
            ),
            (
                "What you can expect from your worker",
                "- To listen, and to treat you as the expert in your own life.\n"
                "- To help with practical things that get in the way, such as travel, cost or not knowing "
                "what is on.\n"
                "- To be honest about what they can and cannot do.\n"
                "- To keep what you tell them private, unless the law says they must share it to keep you or "
                "someone else safe.",
            ),
            (
                "What we will ask of you",
                "- To tell us what matters to you and what you would like to change.\n"
                "- To try small steps between meetings, at your own pace.\n"
                "- To tell us when something is not working, so that we can change the plan.",
            ),
            (
                "When support ends",
                "We will plan together for when you are ready to move on. The aim is that you leave with people "
                "and places in your life that do not depend on us, and that you know how to get back in touch "
                "if you need to.",
            ),
            (
                "If something is not right",
                "Talk to your worker, or ask to speak to their team leader. You can ask for a copy of your map "
                "and your plan at any time.",
            ),
        ],
    },
]


def seed(apps, schema_editor):
    GuidancePage = apps.get_model("implementation", "GuidancePage")
    GuidanceSection = apps.get_model("implementation", "GuidanceSection")
    for page in PAGES:
        if GuidancePage.objects.filter(step=page["step"]).exists():
            continue
        created = GuidancePage.objects.create(
            step=page["step"],
            slug=page["slug"],
            order=page["order"],
            title=page["title"],
            summary=page["summary"],
        )
        GuidanceSection.objects.bulk_create(
            GuidanceSection(page=created, order=index, heading=heading, text=text)
            for index, (heading, text) in enumerate(page["sections"], start=1)
        )


def unseed(apps, schema_editor):
    GuidancePage = apps.get_model("implementation", "GuidancePage")
    GuidancePage.objects.filter(step__in=[page["step"] for page in PAGES]).delete()


class Migration(migrations.Migration):
    dependencies = [("implementation", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
