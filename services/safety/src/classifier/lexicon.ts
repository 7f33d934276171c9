/**
 * Word classes the risk patterns are written over. Entries are lower-case words or lemmas;
 * a token belongs to a class when its text or its lemma is listed. Multi-word phrases are
 * written as token patterns in riskFindings.ts / idioms.ts, not here.
 */
const words = (list: string): ReadonlySet<string> => new Set(list.trim().split(/\s+/));

export const LEXICON = {
  FIRST_PERSON: words('i me my myself mine'),
  SELF_REFLEXIVE: words('myself'),
  OTHER_REFLEXIVE: words('himself herself themselves themself'),
  YOURSELF: words('yourself'),
  SUBJECT_PRONOUN_OTHER: words('he she they'),
  OBJECT_PRONOUN_OTHER: words('him her them'),
  /** People a user talks about: a "kill me" with one of these as subject is not an idiom about things. */
  PERSON: words(`he she they him her them someone somebody everyone everybody people person man woman guy guys girl boy
    kid kids child children baby son daughter mum mom mother mam dad father parent parents stepdad stepmum stepmom stepfather
    stepmother husband wife partner boyfriend girlfriend ex fiance fiancé brother sister sibling cousin uncle aunt grandma
    grandpa grandmother grandfather nan friend friends roommate flatmate housemate neighbour neighbor colleague coworker
    teacher classmate bully bullies family relative stranger stalker landlord`),
  /** Verbs whose reflexive object makes an act of self-harm ("kill myself", "hang myself"). */
  SUICIDE_VERB: words('kill end hang shoot drown poison suffocate strangle off murder electrocute gas stab neck top switch delete'),
  SELF_HARM_VERB: words('hurt harm cut burn scratch punch hit starve slice carve bruise'),
  SUICIDE_NOUN: words('suicide'),
  SUICIDE_ADJ: words('suicidal'),
  /** Modal frames that carry present intent or a plan. */
  INTENT: words(`going gonna will 'll plan planning planned intend intending decide decided ready about need try trying
    should gotta finna shall`),
  DESIRE: words('want wanna wish would like rather hope'),
  IDEATION: words('think thinking thought consider considering contemplate contemplating imagine imagining fantasize fantasise dream'),
  /** Death as a state one wishes for. */
  DIE: words('die dying dead death'),
  /** Life-words: negated or with "stop"/"tired of", they express a death wish ("don't want to live"). */
  LIFE: words('live living alive exist existing existence wake'),
  TIMEFRAME_IMMINENT: words(`tonight today now tomorrow soon later weekend monday tuesday wednesday thursday friday saturday sunday
    morning tonight's hour hours minutes shortly asap`),
  /** Means of suicide or serious self-harm, as nouns. */
  METHOD: words(`rope noose pill pills tablet tablets paracetamol tylenol acetaminophen ibuprofen aspirin meds medication
    medications insulin overdose gun guns pistol rifle shotgun firearm bullet bullets knife knives blade blades razor razors
    bridge cliff roof rooftop ledge balcony tracks bleach poison antifreeze charcoal exhaust wrist wrists vein veins hammer`),
  /** Means that can be acquired, kept or stockpiled (places such as bridges cannot). */
  METHOD_MEANS: words(`rope noose pill pills tablet tablets paracetamol tylenol acetaminophen ibuprofen aspirin meds medication
    medications insulin gun guns pistol rifle shotgun firearm bullet bullets knife knives blade blades razor razors bleach
    poison antifreeze charcoal means belt cord ligature cable`),
  /** The subset of METHOD that is a drug ("overdose on X"). */
  DRUG: words(`pill pills tablet tablets paracetamol tylenol acetaminophen ibuprofen aspirin meds medication medications insulin
    heroin fentanyl opioids painkillers antidepressants sleeping`),
  WEAPON: words('gun guns pistol rifle shotgun firearm knife knives blade hammer bat machete axe weapon crowbar'),
  /** Harm verbs aimed at another person. */
  HARM_OTHER_VERB: words('kill hurt stab shoot beat murder strangle attack choke harm punch'),
  /** Violence a person does to the user. */
  VIOLENCE_VERB: words('hit hitting beat beating choke choked choking strangle punch punching kick kicking hurt hurting kill stab shoot rape attack attacking grab grabbed push pushed slap slapping threaten threatened threatening'),
  FEAR: words('scared afraid terrified frightened hiding hide panicking unsafe danger'),
  /** Body sites of self-harm, as opposed to accidents ("cut my finger chopping onions"). */
  SELF_HARM_SITE: words('wrist wrists arm arms thigh thighs leg legs skin stomach vein veins'),
  GOODBYE: words('goodbye goodbyes farewell bye'),
  BURDEN: words('burden burdens'),
  HOPELESS: words(`hopeless worthless pointless useless helpless meaningless trapped failure waste unlovable unloveable empty
    numb broken`),
  /** Ordinary distress vocabulary (the WATCH band). */
  DISTRESS: words(`stress stressed stressful anxious anxiety worried worry worrying nervous panic panicking sad sadness unhappy lonely
    alone isolated isolating grief grieve grieving mourning miss missing depressed depression down low overwhelmed overwhelm
    exhausted exhausting tired burnt burnout cry crying cried tears upset hurt hurts hurting heartbroken devastated scared
    afraid terrified frightened fear dread dreading numb empty lost guilty guilt ashamed shame angry anger furious frustrated
    frustrating irritated annoyed insomnia nightmare nightmares struggle struggling cope coping awful terrible horrible
    crap sucks rough hard heavy insecure jealous embarrassed miserable fed motivation disconnected invisible stuck edge hate
    failing failure stupid mess drowning pain sick dying meh blah venting vent understands`),
  /** Words that make a statement global and enduring: they weight hopelessness. */
  GLOBALISER: words('everything everyone nothing nobody anything anymore never always forever ever all completely totally'),
  LAUGHTER: words('lol lmao lmfao rofl haha hahaha hehe jk 😂 🤣 💀 😆 😭 😈 xd'),
  MEDIA: words(`movie movies film films book books novel novels show shows series episode episodes character characters story
    stories song songs lyrics documentary podcast article articles news headline play poem poetry hamlet romeo juliet
    villain hero protagonist scene season anime manga comic plot author crime fiction`),
  PROFESSIONAL: words(`prevention awareness hotline helpline volunteer volunteering training trained course class classes lecture
    lectures seminar thesis dissertation statistics rates rate patients patient nurse paramedic doctor
    counsellor counselor psychiatric ward clinician assessment assessments fundraiser charity module essay risk factors
    warning signs colleagues clients survivor survivors`),
  GAMING: words(`game games gaming match raid boss level levels sniper respawn loot quest map team round rounds server pvp
    fortnite minecraft mario kart cod valorant overwatch dragon monster zombie zombies player headshot lobby campaign fifa
    apex pubg roblox xbox playstation ps5 ranked online warzone halo`),
  DISTANT_PAST: words('ago used years teenager teen teens childhood kid younger school college uni'),
  RECENT_PAST: words('yesterday last again relapsed relapse recently week weekend sunday monday tuesday wednesday thursday friday saturday'),
  /** Reasons that bound an absence ("I'll be gone for a week on holiday"). */
  BENIGN_ABSENCE: words('holiday holidays vacation trip away travelling traveling conference visiting week weeks break business work'),
  /** Mitigation that turns ideation into ideation-without-intent. */
  MITIGATION: words('coping skills safe reasons plan promise'),
} as const;

export type LexiconClass = keyof typeof LEXICON;

/** Past-tense surface forms the lemmatizer maps back to a present lemma. */
export const IRREGULAR_PAST = words(`took swallowed cut burned burnt hung shot drank ate wrote gave bought got made did was were had
  tried said told thought felt left went ran`);
