"""Generate geneva-2006-delegates.csv: 200 synthetic delegates for the IOM workshop
"Migrants and the Host Society: Partnerships for Success", Geneva, 12-13 July 2006 (IC/2006/8).

Facts reproduced: about 200 participants from 62 countries, plus international organisations,
NGOs, academics and the private sector; the Government of Australia paid for nearly 30 officials
from developing countries or countries in transition (here: 34 requests, 10 of them speakers).
Names and e-mail addresses are invented. Deterministic, stdlib only:

    python deploy/scenarios/generate_geneva_2006.py [geneva|bangkok] [OUTPUT.csv]

It also writes bangkok-2006-delegates.csv: 80 delegates, 24 sponsorship requests, 6 of them speakers.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

WORKSHOP = "idm-2006-geneva"
HEADER = "ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship".split(",")

GIVEN = {
    "anglo": "James Sarah Michael Emily David Laura Robert Karen Andrew Helen Mark Susan Paul Rachel",
    "ch": "Pierre Anne Daniel Monique Thomas Christine Laurent Ursula Marc Sandrine Reto Nicole Beat Claudia",
    "de": "Klaus Petra Stefan Sabine Andreas Katrin Juergen Birgit Thomas Monika Wolfgang Ute Frank",
    "fr": "Philippe Isabelle Nicolas Sophie Francois Catherine Olivier Nathalie Alain Sylvie Thierry Claire",
    "it": "Marco Giulia Luca Francesca Giovanni Chiara Paolo Elena Stefano Silvia Roberto Valentina",
    "nl": "Jan Anneke Pieter Marieke Willem Sanne Hendrik Ingrid Bram Femke Joost Esther",
    "nordic": "Lars Anna Erik Ingrid Johan Karin Anders Kristin Per Sofie Magnus Hanne",
    "fi": "Mikko Anna Juha Paivi Jukka Tuula Antti Riikka Timo Sari",
    "jp": "Hiroshi Yuko Takashi Keiko Kenji Naoko Satoshi Akiko Masato Emiko",
    "hisp": "Juan Maria Carlos Ana Jorge Lucia Luis Carmen Miguel Rosa Fernando Patricia Javier Gabriela",
    "wafr_fr": "Amadou Fatou Moussa Aminata Ibrahima Mariama Ousmane Awa Cheikh Adama Boubacar Rokia",
    "cafr_fr": "Pascal Honorine Didier Clarisse Serge Florence Albert Josephine Guy Berthe Patrice Viviane",
    "ht": "Jean Marie Frantz Nadege Wilson Guerline Jacques Mireille Reginald Yolette",
    "maghreb": "Mohamed Fatima Karim Nadia Youssef Samira Rachid Leila Mehdi Amina Hichem Khadija",
    "arab": "Ahmed Mona Khaled Rania Tarek Dina Hany Lamia Omar Heba Samir Nour",
    "gh": "Kwame Ama Kofi Abena Yaw Adwoa Kwesi Akosua Kojo Efua",
    "ng": "Chinedu Ngozi Emeka Folake Tunde Funmilayo Ibrahim Halima Oluwaseun Amaka",
    "eafr": "Joseph Grace Peter Mary James Esther David Agnes Samuel Faith Moses Ruth",
    "za": "Thabo Nomvula Sipho Lindiwe Bongani Thandiwe Mandla Zanele Johan Naledi",
    "ph": "Maria Jose Rowena Rodel Maricel Rogelio Lourdes Arnel Cristina Edgardo",
    "s_asia": "Imran Ayesha Tariq Nasrin Kamal Farhana Asif Shirin Rahim Saima Faisal Rubina",
    "np": "Ram Sita Bishnu Gita Hari Laxmi Krishna Sarita Prakash Anita",
    "lk": "Chaminda Dilani Ruwan Nirosha Kumara Sanduni Nalin Anoma Priyantha Thilini",
    "th": "Somchai Siriporn Anan Malee Prasert Nattaya Wichai Kanya Surasak Pornthip",
    "kh": "Sophal Sreymom Vuthy Channary Dara Bopha Rithy Sokha Visal Kunthea",
    "mn": "Bat-Erdene Oyuntsetseg Ganzorig Narantuya Tuvshin Sarangerel Enkhjargal Munkhbat",
    "ua": "Oleksandr Olena Andriy Iryna Serhiy Natalia Volodymyr Tetiana Dmytro Oksana",
    "md": "Ion Maria Vasile Elena Andrei Natalia Sergiu Aliona Victor Tatiana",
    "c_asia": "Rustam Dilnoza Farrukh Zarina Azamat Aigul Bakyt Gulnara Nurlan Malika",
    "ge": "Giorgi Nino Levan Tamar Davit Ketevan Irakli Manana Zurab Natia",
    "am": "Armen Anahit Tigran Lusine Hovhannes Gayane Aram Siranush Narine Vahe",
    "al": "Arben Elira Gentian Mirela Ilir Blerina Artan Anila Dritan Valbona",
}

# Country: home airport (the capital's international airport as of 2006 where airportsdata still
# knows it, else its current code: MD RMO, KG BSZ, KH KTI), language, given-name pool, family names.
DONORS = {
    "CH": ("GVA", "fr", "ch", "Favre Muller Rochat Keller Bonvin Meier Gerber Perret"),
    "AU": ("SYD", "en", "anglo", "Mitchell Harrison Kelly Walsh Thompson Nguyen Campbell Ryan"),
    "US": ("IAD", "en", "anglo", "Johnson Miller Davis Rodriguez Anderson Wilson Carter Brooks"),
    "CA": ("YOW", "en", "anglo", "Tremblay Campbell MacDonald Gagnon Stewart Roy Fraser Singh"),
    "DE": ("TXL", "en", "de", "Schmidt Fischer Weber Wagner Becker Hoffmann Schulz Richter"),
    "FR": ("CDG", "fr", "fr", "Martin Bernard Dubois Moreau Laurent Girard Lefebvre Mercier"),
    "GB": ("LHR", "en", "anglo", "Smith Jones Taylor Evans Hughes Patel Clarke Wright"),
    "IT": ("FCO", "en", "it", "Rossi Bianchi Romano Ferrari Esposito Ricci Conti Marino"),
    "ES": ("MAD", "es", "hisp", "Garcia Fernandez Martinez Sanchez Romero Navarro Iglesias Ortega"),
    "NL": ("AMS", "en", "nl", "Jansen Bakker Visser Smit Mulder Bos Dekker Meijer"),
    "SE": ("ARN", "en", "nordic", "Andersson Johansson Karlsson Nilsson Eriksson Lindqvist Berg Holm"),
    "NO": ("OSL", "en", "nordic", "Hansen Olsen Larsen Haugen Johnsen Dahl Bakke Solberg"),
    "BE": ("BRU", "fr", "fr", "Peeters Janssens Dupont Lambert Claes Wouters Maes Leclercq"),
    "JP": ("NRT", "en", "jp", "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura"),
    "AT": ("VIE", "en", "de", "Gruber Huber Bauer Pichler Steiner Moser Mayer Hofer"),
    "DK": ("CPH", "en", "nordic", "Jensen Nielsen Pedersen Andersen Christensen Rasmussen Madsen Lund"),
    "FI": ("HEL", "en", "fi", "Virtanen Korhonen Nieminen Makinen Hamalainen Laine Heikkinen Koskinen"),
    "IE": ("DUB", "en", "anglo", "Murphy Kelly Byrne Ryan Walsh Doyle McCarthy Gallagher"),
}
DEVELOPING = {
    "SN": ("DKR", "fr", "wafr_fr", "Diop Ndiaye Fall Sow Gueye Faye Diouf Sarr"),
    "ML": ("BKO", "fr", "wafr_fr", "Traore Keita Coulibaly Diarra Sangare Maiga Toure Konate"),
    "BF": ("OUA", "fr", "wafr_fr", "Ouedraogo Sawadogo Kabore Compaore Zongo Ilboudo Some Kafando"),
    "GN": ("CKY", "fr", "wafr_fr", "Diallo Barry Bah Camara Conde Sylla Soumah Balde"),
    "BJ": ("COO", "fr", "cafr_fr", "Hounkpatin Adjovi Ahouansou Dossou Gbaguidi Agossou Houngbo Kpade"),
    "CM": ("NSI", "fr", "cafr_fr", "Mbarga Ngono Essomba Fouda Nkoulou Tchoupo Ngue Atangana"),
    "CD": ("FIH", "fr", "cafr_fr", "Mbuyi Kalonji Ilunga Tshibanda Mukendi Lukusa Kasongo Mwamba"),
    "HT": ("PAP", "fr", "ht", "Pierre Joseph Baptiste Charles Etienne Desir Celestin Augustin"),
    "MA": ("CMN", "fr", "maghreb", "Benali Alaoui Idrissi Bennani Tazi Chraibi Fassi Berrada"),
    "TN": ("TUN", "fr", "maghreb", "Trabelsi Gharbi Jebali Mansouri Hamdi Ayari Khelifi Chaabane"),
    "EG": ("CAI", "en", "arab", "Hassan Mahmoud Ibrahim Mostafa Abdelaziz Fahmy Soliman Farouk"),
    "JO": ("AMM", "en", "arab", "Haddad Khalil Nasser Obeidat Qasem Tarawneh Zoubi Majali"),
    "NG": ("ABV", "en", "ng", "Okafor Adeyemi Bello Okonkwo Adebayo Eze Abubakar Nwosu"),
    "GH": ("ACC", "en", "gh", "Mensah Owusu Boateng Asante Osei Addo Appiah Ofori"),
    "KE": ("NBO", "en", "eafr", "Otieno Kamau Mwangi Wanjiku Ochieng Kiprotich Njoroge Mutua"),
    "UG": ("EBB", "en", "eafr", "Okello Mugisha Nakato Ssempala Tumusiime Byaruhanga Atim Kato"),
    "TZ": ("DAR", "en", "eafr", "Mwakyusa Massawe Mrema Kimaro Msuya Lyimo Shirima Mushi"),
    "ZM": ("LUN", "en", "eafr", "Banda Phiri Mwale Tembo Zulu Mulenga Chanda Lungu"),
    "ZA": ("JNB", "en", "za", "Nkosi Dlamini Mokoena Naidoo Venter Khumalo Mahlangu Ndlovu"),
    "PH": ("MNL", "en", "ph", "Santos Reyes Cruz Bautista Garcia Mendoza Villanueva Ramos"),
    "BD": ("DAC", "en", "s_asia", "Rahman Hossain Ahmed Islam Chowdhury Uddin Akter Sarkar"),
    "PK": ("ISB", "en", "s_asia", "Khan Qureshi Malik Butt Siddiqui Hussain Shah Chaudhry"),
    "NP": ("KTM", "en", "np", "Sharma Shrestha Adhikari Gurung Thapa Poudel Koirala Tamang"),
    "LK": ("CMB", "en", "lk", "Perera Fernando Silva Jayawardena Wickramasinghe Bandara Dissanayake Herath"),
    "TH": ("DMK", "en", "th", "Srisuk Wongsakul Chaiyaporn Boonmee Saetang Rattanakorn Kaewkla Phromma"),
    "KH": ("KTI", "en", "kh", "Sok Chea Heng Chan Keo Pich Ly Sarin"),
    "MN": ("ULN", "en", "mn", "Batbayar Ganbold Enkhbayar Tsogt Bold Dorj Purev Baatar"),
    "MX": ("MEX", "es", "hisp", "Hernandez Garcia Lopez Gonzalez Ramirez Flores Morales Cruz"),
    "EC": ("UIO", "es", "hisp", "Zambrano Vera Cedeno Mora Andrade Paredes Salazar Guerrero"),
    "PE": ("LIM", "es", "hisp", "Quispe Huaman Rojas Vargas Chavez Mendoza Castillo Flores"),
    "CO": ("BOG", "es", "hisp", "Rodriguez Gomez Jaramillo Restrepo Cardenas Ospina Murillo Duque"),
    "BO": ("LPB", "es", "hisp", "Mamani Condori Choque Quispe Gutierrez Vargas Rojas Flores"),
    "GT": ("GUA", "es", "hisp", "Lopez Perez Ajanel Morales Barrios Cifuentes Monterroso Orellana"),
    "SV": ("SAL", "es", "hisp", "Hernandez Martinez Rivas Alvarado Escobar Portillo Mejia Argueta"),
    "HN": ("TGU", "es", "hisp", "Zelaya Maradiaga Aguilar Banegas Reyes Mejia Sierra Paz"),
    "DO": ("SDQ", "es", "hisp", "Rodriguez Pena Almonte Tavarez Pimentel Santana Batista Jimenez"),
    "AR": ("EZE", "es", "hisp", "Fernandez Gonzalez Sosa Romero Benitez Acosta Medina Ferreyra"),
    "UA": ("KBP", "en", "ua", "Shevchenko Kovalenko Bondarenko Tkachenko Kravchenko Melnyk Boyko Lysenko"),
    "MD": ("RMO", "en", "md", "Rusu Ciobanu Ceban Munteanu Popa Lungu Rotaru Cojocaru"),
    "TJ": ("DYU", "en", "c_asia", "Rahimov Nazarov Saidov Karimov Sharipov Davlatov Rajabov Mirzoev"),
    "KG": ("BSZ", "en", "c_asia", "Asanov Sadykov Toktogulov Usenov Zhumabaev Isakov Mamytov Omurbekov"),
    "GE": ("TBS", "en", "ge", "Beridze Kapanadze Gelashvili Maisuradze Lomidze Japaridze Abashidze"),
    "AM": ("EVN", "en", "am", "Petrosyan Hakobyan Grigoryan Harutyunyan Avetisyan Karapetyan Vardanyan"),
    "AL": ("TIA", "en", "al", "Shehu Dervishi Leka Gjoka Kola Marku Basha Hysa"),
}
COUNTRIES = DONORS | DEVELOPING

# Who sends the non-government participants, and the e-mail domains they use.
AFFILIATIONS = {"gov": 60, "io": 20, "ngo": 10, "academia": 6, "private": 4}
MINISTRIES = ["interior", "labour", "foreign-affairs", "migration", "justice", "social-affairs"]
ORGS = {
    "io": ["unhcr", "unfpa", "icmpd", "ilo", "ifrc", "oif"],
    "ngo": ["migrant-rights-network", "diaspora-forum", "host-communities-alliance", "refugee-council"],
    "private": ["employers-alliance", "remit-partners", "global-recruiters"],
}


def plan(rng: random.Random, total: int, requests: int, speakers: int, host: str) -> list[tuple[str, str, str, str]]:
    """(country, role, sponsorship, affiliation) for the rows, in file order; the host country flies nobody in."""
    sponsored = rng.sample(sorted(set(DEVELOPING) - {host}), requests)
    rows = [(cc, "speaker" if i < speakers else "official", "requested", "gov") for i, cc in enumerate(sponsored)]
    rows += [(cc, "official", "none", "gov") for cc in sorted(COUNTRIES) if cc not in sponsored][: total - len(rows)]
    codes = sorted(COUNTRIES)
    weights = [6 if cc == "CH" else 3 if cc in DONORS else 1 for cc in codes]
    while len(rows) < total:
        cc = rng.choices(codes, weights)[0]
        affiliation = rng.choices(list(AFFILIATIONS), list(AFFILIATIONS.values()))[0]
        usual = "official" if affiliation == "gov" else "observer"
        role = "speaker" if rng.random() < (0.05 if affiliation == "gov" else 0.12) else usual
        rows.append((cc, role, "none", affiliation))
    rng.shuffle(rows)
    return rows


def email_domain(rng: random.Random, cc: str, affiliation: str) -> str:
    if affiliation == "gov":
        return f"{rng.choice(MINISTRIES)}.gov-{cc.lower()}.example"
    if affiliation == "academia":
        return f"univ-{cc.lower()}.example"
    return f"{rng.choice(ORGS[affiliation])}.example"


# The scenarios: workshop, reference prefix, host country, delegates, sponsorship requests, speakers among them, seed.
SCENARIOS = {
    "geneva": (WORKSHOP, "GVA", "CH", 200, 34, 10, 2006),
    # Bangkok, 24-25 October 2006 (IC/2006/8, paragraph 6): planned, then deferred for lack of funding.
    "bangkok": ("idm-2006-bangkok", "BKK", "TH", 80, 24, 6, 2410),
}


def generate(scenario: str = "geneva") -> list[list[str]]:
    workshop, prefix, host, total, requests, speakers, seed = SCENARIOS[scenario]
    rng = random.Random(seed)
    used: set[tuple[str, str]] = set()
    out = []
    for n, (cc, role, sponsorship, affiliation) in enumerate(plan(rng, total, requests, speakers, host), start=1):
        airport, language, pool, families = COUNTRIES[cc]
        while (name := (rng.choice(GIVEN[pool].split()), rng.choice(families.split()))) in used:
            pass
        used.add(name)
        given, family = name
        email = f"{given}.{family}@{email_domain(rng, cc, affiliation)}".lower()
        out.append([f"{prefix}-{n:03d}", workshop, given, family, email, cc, role, language, airport, sponsorship])
    assert len({r[4] for r in out}) == total
    assert scenario != "geneva" or len({r[5] for r in out}) == 62
    return out


def main(argv: list[str]) -> None:
    """generate_geneva_2006.py [geneva|bangkok] [OUTPUT.csv]"""
    scenario = argv[1] if len(argv) > 1 else "geneva"
    default = Path(__file__).with_name(f"{scenario}-2006-delegates.csv")
    path = Path(argv[2]) if len(argv) > 2 else default
    with path.open("w", newline="", encoding="ascii") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(generate(scenario))


if __name__ == "__main__":
    main(sys.argv)
