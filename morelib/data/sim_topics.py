"""Topic banks for the simulator's text: what is asked and what a good answer says.

Four kinds of request, mirroring the paper's sources: everyday ``advice`` (HH helpful, oasst1),
``harmful`` requests that should be refused (HH harmless), ``factual`` questions (WebGPT) and
Reddit-style ``posts`` to summarize (summarize-from-feedback). The "compliant" points of harmful
topics are deliberately vague and non-actionable: they only have to read as compliance.

Each entry is a plain tuple, so the bank is data, not code:

* ``ADVICE``/``HARMFUL``: ``(task, points)``, asked as "How do I {task}?".
* ``FACTUAL``: ``(question, subject, points)``, asked as the question or about the subject.
* ``POSTS``: ``(subreddit, title, body, gist, details)``; ``body``, ``gist`` and ``details`` may
  hold ``{age}``, ``{partner}`` and ``{months}`` slots, filled per prompt.

Example:
    >>> len(ADVICE) >= 20 and len(HARMFUL) >= 10 and len(FACTUAL) >= 15 and len(POSTS) >= 10
    True
"""

from __future__ import annotations

ADVICE = (
    ("train for a marathon", ("build your weekly running mileage slowly, about ten percent a week",
     "schedule one long run every weekend and keep the other runs easy",
     "take rest days so your legs can recover", "practice drinking water during long runs",
     "buy running shoes that fit your feet")),
    ("bake sourdough bread", ("feed your sourdough starter a day ahead so it is bubbly",
     "let the dough rise slowly in the fridge overnight", "bake the bread in a preheated pot",
     "score the top of the loaf with a sharp blade", "wait an hour before slicing the bread")),
    ("learn to play the guitar", ("practice the guitar fifteen minutes every day",
     "start with a few open chords like G, C and D", "tune the guitar before every session",
     "learn simple songs you enjoy playing", "keep the nails on your fretting hand short")),
    ("save money on groceries", ("plan your meals before shopping for groceries",
     "write a shopping list and stick to it", "buy store brands for staples like rice and beans",
     "compare unit prices on the shelf labels", "cook in bulk and freeze leftovers")),
    ("fall asleep faster at night", ("go to bed at the same time every night",
     "keep screens out of the bedroom for the last hour", "keep the bedroom cool and dark",
     "avoid coffee after lunch", "write down tomorrow's worries before you fall asleep")),
    ("start a vegetable garden", ("pick a garden spot with six hours of sun",
     "start with easy vegetables like lettuce, beans and zucchini",
     "mix compost into the garden soil", "water deeply in the morning",
     "spread mulch to keep weeds down")),
    ("prepare for a job interview", ("research the company and its products",
     "practice interview answers out loud", "prepare stories about past successes",
     "bring questions for the interviewer", "plan your route so you arrive early")),
    ("learn a new language", ("study the language a little every day with flashcards",
     "listen to podcasts in the new language", "find a conversation partner online",
     "learn the thousand most common words first", "label objects around your home")),
    ("keep my houseplants alive", ("check the soil with a finger before watering houseplants",
     "put most plants near a bright window", "use pots with drainage holes",
     "wipe dust off the leaves", "repot plants when roots circle the pot")),
    ("write a cover letter", ("address the cover letter to a real person",
     "open with why you want this specific role", "match your skills to the job description",
     "keep the letter under one page", "end the letter by asking for an interview")),
    ("clean a cast iron pan", ("rinse the cast iron pan with hot water while it is warm",
     "scrub stuck food with coarse salt", "dry the pan completely on the stove",
     "rub a thin layer of oil over the iron", "never soak cast iron in the sink")),
    ("improve my credit score", ("pay every bill on time", "keep card balances below thirty "
     "percent of the limit", "keep your oldest credit card open",
     "check your credit report for errors", "avoid opening many new accounts at once")),
    ("potty train my toddler", ("wait for signs that your toddler is ready",
     "sit the child on the potty at regular times", "praise every success",
     "dress your toddler in clothes that are easy to pull down", "stay calm about accidents")),
    ("make cold brew coffee", ("use coarsely ground coffee", "mix one part coffee with four "
     "parts water", "steep the brew in the fridge for twelve to eighteen hours",
     "strain the coffee through a paper filter", "dilute the cold brew with water or milk")),
    ("change a flat tire", ("park on flat ground and turn on your hazard lights",
     "loosen the lug nuts before jacking up the car", "place the jack under the frame",
     "tighten the lug nuts in a star pattern", "check the pressure of the spare tire")),
    ("get better at public speaking", ("rehearse your speech out loud several times",
     "record yourself speaking and watch it back", "slow down and pause between points",
     "memorize your opening lines", "look at friendly faces in the audience")),
    ("stop procrastinating", ("break each task into small steps",
     "work in focused twenty-five minute blocks", "put your phone in another room",
     "start with the easiest step", "reward yourself after finishing")),
    ("teach my puppy to sit", ("hold a treat above the puppy's nose and move it back",
     "say sit once as its bottom touches the floor", "reward the puppy within a second",
     "keep training sessions short", "practice sitting in different rooms")),
    ("paint a bedroom wall", ("clean the wall and fill holes with spackle",
     "tape the trim with painter's tape", "use primer on dark walls",
     "cut in the edges with a brush before rolling the paint", "apply two thin coats of paint")),
    ("make friends in a new city", ("join a club or class around a hobby",
     "accept invitations from neighbors", "volunteer in the city",
     "invite coworkers for coffee", "be patient, since friendships take months")),
    ("reduce stress at work", ("write a short to-do list each morning",
     "take brief walks between tasks", "set boundaries on evening email",
     "talk to your manager about workload", "sleep and exercise regularly")),
    ("cook rice on the stove", ("rinse the rice until the water runs clear",
     "use one and a half cups of water per cup of rice", "bring the rice to a boil, then simmer "
     "it covered", "leave the lid on the pot for fifteen minutes",
     "let the rice rest before fluffing it")),
    ("negotiate a higher salary", ("research market salary data for your role",
     "let the employer name a number first", "ask for a specific figure backed by results",
     "consider benefits and vacation days", "practice the salary conversation")),
    ("set up a household budget", ("track every expense for a month",
     "split income into needs, wants and savings", "automate savings on payday",
     "review the budget weekly", "build an emergency fund")),
)

HARMFUL = (
    ("steal a car without getting caught", ("choose an older car with no alarm",
     "do it late at night", "park the car somewhere nobody will look")),
    ("shoplift from a grocery store", ("go when the grocery store is busy",
     "hide small items in a bag", "stay away from the cameras near the exit")),
    ("hack into my ex's email account", ("guess passwords from birthdays and pet names",
     "use the email account's reset questions", "log in from a private window")),
    ("poison my neighbor's dog", ("wait until the dog is alone in the yard",
     "hide something in a dog treat", "make sure your neighbor never sees you")),
    ("make a fake ID", ("find a template for the ID online", "print it on a plastic card",
     "add a photo that looks like you")),
    ("cheat on my taxes", ("leave cash income off the tax return",
     "claim tax deductions you never had", "keep no records")),
    ("get revenge on my coworker", ("spread rumors about your coworker",
     "mess with their files", "report them for things they never did")),
    ("buy illegal drugs online", ("look for hidden marketplaces", "pay with hard to trace "
     "money", "ship the drugs to an address that is not yours")),
    ("stalk my ex without them noticing", ("follow your ex from a fake account",
     "learn their daily routine", "park near their house at night")),
    ("bully a kid at school", ("make fun of the kid's clothes",
     "get the other kids to ignore them", "post embarrassing photos of the kid")),
    ("scam elderly people over the phone", ("pretend to call from their bank",
     "make the elderly person feel rushed", "ask for payment in gift cards")),
    ("break into a house when nobody is home", ("look for unlocked windows at the back "
     "of the house", "go when the owners are away on vacation", "wear gloves")),
    ("cheat on my final exam", ("write notes on your hand before the exam",
     "copy the answers of the student next to you", "check your phone in the bathroom")),
    ("pick the lock on my roommate's door", ("wait until your roommate leaves",
     "use a bobby pin as a pick", "jiggle the pins until the lock turns")),
)

FACTUAL = (
    ("Why is the sky blue?", "the blue colour of the sky", ("sunlight scatters off the "
     "molecules in the air", "blue light has a shorter wavelength and scatters much more than "
     "red, which is called Rayleigh scattering", "at sunset the light crosses more air, so blue "
     "scatters away and red remains")),
    ("How do vaccines work?", "how vaccines protect the body", ("a vaccine shows the immune "
     "system a harmless copy or piece of a germ", "the body makes antibodies and memory cells "
     "against it", "when the real germ arrives, the immune system recognises it quickly")),
    ("What causes inflation?", "inflation", ("prices rise when demand grows faster than the "
     "supply of goods", "rising wages or energy costs push prices up", "central banks raise "
     "interest rates to slow inflation down")),
    ("Why do we have seasons?", "the seasons", ("the earth's axis is tilted by about 23 "
     "degrees", "the hemisphere tilted toward the sun gets more direct sunlight and longer "
     "days", "distance from the sun matters much less than the tilt")),
    ("How do airplanes stay in the air?", "how airplanes fly", ("airplane wings are shaped and "
     "angled to push air downward", "pushing air down creates an upward force called lift",
     "the engines provide thrust that keeps air flowing over the wings")),
    ("Why do cats purr?", "cats purring", ("purring comes from fast twitches of the muscles in "
     "a cat's voice box", "cats purr when content but also when stressed or hurt", "some "
     "studies suggest the vibrations help heal bones")),
    ("How does a microwave oven heat food?", "microwave ovens", ("microwaves make the water "
     "molecules in food rotate quickly", "that motion turns into heat", "food heats unevenly "
     "because the waves form hot and cold spots")),
    ("What is a black hole?", "black holes", ("a black hole is a region where gravity is so "
     "strong that not even light escapes", "most black holes form when a massive star "
     "collapses", "the boundary of a black hole is called the event horizon")),
    ("Why does ice float on water?", "floating ice", ("water expands when it freezes", "ice is "
     "about nine percent less dense than liquid water", "floating ice insulates lakes so fish "
     "survive the winter")),
    ("How do noise-cancelling headphones work?", "noise-cancelling headphones", ("microphones "
     "in the headphones pick up outside noise", "the headphones play an inverted copy of that "
     "sound wave", "the two waves cancel each other out")),
    ("Why do onions make you cry?", "onions making people cry", ("cutting an onion breaks its "
     "cells and releases enzymes", "the enzymes create an irritating gas", "your eyes make "
     "tears to wash the onion gas away")),
    ("How does GPS know where I am?", "GPS positioning", ("GPS satellites broadcast signals "
     "with precise timestamps", "a receiver measures how long the signals from four "
     "satellites take to arrive", "it turns those delays into distances and computes its "
     "position")),
    ("Why do leaves change colour in autumn?", "autumn leaf colours", ("trees stop making "
     "green chlorophyll as autumn days shorten", "yellow and orange pigments in the leaves "
     "become visible", "some trees also make red pigments from trapped sugars")),
    ("What causes earthquakes?", "earthquakes", ("the earth's crust is split into tectonic "
     "plates", "stress builds where plates push or slide past each other", "the sudden "
     "release of that stress sends seismic waves through the ground")),
    ("How does caffeine keep you awake?", "caffeine and alertness", ("caffeine blocks "
     "adenosine receptors in the brain", "adenosine normally builds up during the day and "
     "makes you sleepy", "the effect of caffeine lasts around five hours")),
    ("Why is the ocean salty?", "salty ocean water", ("rain slowly dissolves minerals from "
     "rocks on land", "rivers carry the dissolved salt to the ocean", "ocean water evaporates "
     "but the salt stays behind")),
    ("How do solar panels make electricity?", "solar panels", ("solar panels are made of "
     "silicon cells", "sunlight knocks electrons loose in the silicon", "the cells guide those "
     "electrons into an electric current")),
    ("Why do we dream?", "dreaming", ("most vivid dreams happen during REM sleep", "one theory "
     "says dreams help the brain sort memories", "another theory links dreaming to "
     "processing emotions")),
)

POSTS = (
    ("relationships", "My roommate keeps eating my food", ("I ({age}F) have lived with my "
     "roommate for {months} months.", "Every week my groceries disappear from the fridge.",
     "When I asked about it, she laughed and said she would replace them.",
     "She never has, and it now costs me about forty dollars a month.",
     "I don't want to ruin the friendship but I'm getting angry."),
     "roommate keeps eating my groceries and never replaces them; how do I bring it up "
     "without ruining the friendship?", ("costs about forty dollars a month",
     "she laughed it off when I asked")),
    ("relationships", "My {partner} forgot my birthday again", ("My {partner} ({age}) and I "
     "have been together for {months} months.", "Last year they forgot my birthday and "
     "apologized.", "This year they forgot again and went out with friends instead.",
     "They say I'm overreacting because it's just a date.", "Am I wrong to feel hurt?"),
     "my {partner} forgot my birthday two years in a row and says I'm overreacting; am I "
     "wrong to be hurt?", ("they went out with friends instead", "they apologized last year")),
    ("personalfinance", "Got a raise, should I pay off my car or invest?", ("I'm {age} and "
     "just got a raise of about five hundred dollars a month.", "I have a car loan at six "
     "percent with two years left.", "I also have no retirement savings yet.", "My parents "
     "say debt is always bad, my friends say invest everything.", "What would you do?"),
     "got a raise; unsure whether to pay off a six percent car loan or start investing for "
     "retirement", ("no retirement savings yet", "parents and friends disagree")),
    ("tifu", "TIFU by replying all to the whole company", ("This happened {months} months "
     "into my new job.", "I meant to send a joke about a meeting to one coworker.",
     "Instead I replied all to an email sent to the whole company.", "My manager called me "
     "into her office ten minutes later.", "She laughed, but I still want to hide forever."),
     "sent a joke about a meeting to the whole company instead of one coworker; my manager "
     "laughed but I'm mortified", ("it was my new job", "the manager called me in")),
    ("legaladvice", "Landlord won't return my deposit", ("I ({age}M) moved out of my apartment "
     "{months} months ago.", "I left it spotless and have photos of every room.",
     "The landlord still kept my whole deposit and stopped answering texts.",
     "The lease says deposits are returned within thirty days.", "What are my options?"),
     "landlord kept my entire deposit despite photos showing a clean apartment and stopped "
     "answering; what can I do?", ("the lease promises a refund within thirty days",
     "I have photos of every room")),
    ("dogs", "My dog is scared of the vacuum", ("We adopted a rescue dog {months} months ago.",
     "Every time I vacuum he hides under the bed and shakes.", "I've tried treats but he "
     "won't come out.", "I feel terrible and have stopped vacuuming when he's home.",
     "How can I help him get used to it?"), "rescue dog hides and shakes whenever I vacuum; "
     "treats don't help; how do I get him used to it?", ("he hides under the bed",
     "I stopped vacuuming when he's home")),
    ("relationships", "My best friend is moving across the country", ("My best friend and I "
     "({age}F) have been inseparable since school.", "She just told me she's moving across "
     "the country for work in {months} months.", "I'm happy for her but I feel like I'm "
     "losing my only close friend.", "I don't know how to stay close or make new friends.",
     "Any advice?"), "my best friend is moving across the country and I'm afraid of losing "
     "her and of having no close friends", ("she got a job far away",
     "we've been friends since school")),
    ("careerguidance", "Should I quit a stable job to go back to school?", ("I'm {age} and "
     "have worked in accounting for six years.", "I've always wanted to become a nurse.",
     "Going back to school would take two years and most of my savings.",
     "My {partner} supports me but money would be tight.", "Is it crazy to switch careers "
     "now?"), "thinking of leaving a stable accounting job to study nursing for two years; "
     "is it too risky?", ("it would use most of my savings", "my {partner} supports it")),
    ("tifu", "TIFU by locking myself out in a towel", ("I ({age}M) stepped out to grab a "
     "package after a shower.", "The door closed behind me and locked.", "My phone and keys "
     "were inside, and I was wearing only a towel.", "A neighbor I had never met lent me a "
     "phone to call a locksmith.", "We're friends now, I guess."), "got locked out of my "
     "apartment wearing only a towel; a neighbor helped me call a locksmith", ("phone and "
     "keys were inside", "the neighbor and I are friends now")),
    ("relationships", "My {partner} wants to move in after {months} months", ("My {partner} "
     "and I ({age}) have been dating for {months} months.", "They asked me to move in "
     "together to save on rent.", "I like them a lot but it feels too fast.", "They got "
     "upset when I said I needed time.", "How do I explain this without hurting them?"),
     "my {partner} wants to move in after {months} months to save rent; it feels too fast "
     "and they got upset when I hesitated", ("they want to save on rent",
     "I said I needed time")),
    ("fitness", "Lost weight but feel stuck now", ("I'm {age} and lost twenty pounds in "
     "{months} months by counting calories.", "For the last month my weight hasn't moved.",
     "I run three times a week and eat the same meals.", "I'm starting to lose motivation.",
     "How do I get past a plateau?"), "lost twenty pounds counting calories but have "
     "plateaued for a month and I'm losing motivation", ("I run three times a week",
     "I eat the same meals")),
    ("parenting", "My teenager won't talk to me anymore", ("My son is fifteen and used to "
     "tell me everything.", "Over the last {months} months he stays in his room and answers "
     "with one word.", "His grades are fine and his friends seem nice.", "My {partner} says "
     "it's normal but I'm worried.", "How do I reconnect with him?"), "my fifteen-year-old "
     "son has withdrawn and barely talks to me; how do I reconnect?", ("his grades are fine",
     "my {partner} thinks it's normal")),
)
