"""The demo organisation as data: its departments (with the titles and sub-departments a
large org is generated from), the 41 people of the core org, the fixed logins and the
names generated people are given. perfcycle.demo builds the rows from these.

The order of PEOPLE and of the teams fixes every demo person's employee number, so it
must never change (see TEAMS and PEOPLE).
"""

from dataclasses import dataclass

LEADERSHIP = "Leadership"


@dataclass(frozen=True)
class DepartmentPlan:
    name: str
    head: str  # username of the department head in the core org
    share: float  # fraction of a large org's generated people
    manager_title: str
    lead_title: str
    staff_titles: tuple[str, ...]
    teams: tuple[str, ...]  # sub-departments of a large org


DEPARTMENTS = (
    DepartmentPlan(
        "Engineering",
        "rajesh.iyer",
        0.35,
        "Engineering manager",
        "Tech lead",
        (
            "Software engineer",
            "Senior software engineer",
            "Backend engineer",
            "Frontend engineer",
            "QA engineer",
            "Site reliability engineer",
            "Data engineer",
            "Staff engineer",
        ),
        (
            "Platform Engineering",
            "Data Engineering",
            "Mobile Engineering",
            "Web Engineering",
            "Quality Engineering",
            "Site Reliability",
            "Security Engineering",
            "Infrastructure",
            "Developer Experience",
            "Machine Learning",
            "Payments Engineering",
            "Integrations",
        ),
    ),
    DepartmentPlan(
        "Sales",
        "grace.mitchell",
        0.20,
        "Regional sales manager",
        "Sales team lead",
        (
            "Account executive",
            "Senior account executive",
            "Sales development representative",
            "Customer success manager",
            "Solutions consultant",
        ),
        (
            "Sales EMEA",
            "Sales North America",
            "Sales APAC",
            "Sales LATAM",
            "Enterprise Sales",
            "Inside Sales",
            "Sales Operations",
            "Customer Success",
        ),
    ),
    DepartmentPlan(
        "Marketing",
        "isabel.costa",
        0.10,
        "Marketing manager",
        "Marketing team lead",
        (
            "Marketing specialist",
            "Content writer",
            "Graphic designer",
            "SEO specialist",
            "Campaign manager",
        ),
        (
            "Brand",
            "Content Marketing",
            "Product Marketing",
            "Digital Marketing",
            "Events",
            "Marketing Operations",
        ),
    ),
    DepartmentPlan(
        "Finance",
        "fatima.haddad",
        0.07,
        "Finance manager",
        "Finance team lead",
        (
            "Financial analyst",
            "Accountant",
            "Accounts payable specialist",
            "Payroll specialist",
            "Tax specialist",
        ),
        (
            "Accounting",
            "Financial Planning and Analysis",
            "Payroll",
            "Tax and Treasury",
            "Internal Audit",
        ),
    ),
    DepartmentPlan(
        "Operations",
        "michael.osei",
        0.20,
        "Operations manager",
        "Operations team lead",
        (
            "Operations analyst",
            "Support specialist",
            "Logistics coordinator",
            "Procurement specialist",
            "IT support specialist",
        ),
        (
            "Customer Support",
            "Logistics",
            "Facilities",
            "IT Services",
            "Procurement",
            "Supply Chain",
            "Legal and Compliance",
            "Business Operations",
        ),
    ),
    DepartmentPlan(
        "People",
        "elena.marsh",
        0.08,
        "HR manager",
        "HR team lead",
        (
            "HR generalist",
            "Recruiter",
            "Learning and development specialist",
            "HR coordinator",
            "Compensation analyst",
        ),
        (
            "Talent Acquisition",
            "Learning and Development",
            "People Operations",
            "Total Rewards",
            "Employee Relations",
        ),
    ),
)

# (sub-department name, its department's plan), in a fixed order: the index is part of
# each generated person's employee number, so it must never change.
TEAMS = tuple((team, plan) for plan in DEPARTMENTS for team in plan.teams)


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    job_title: str
    department: str
    manager: str | None  # username
    hr: bool = False
    is_active: bool = True


# The core org, managers before their reports. Its order fixes the employee numbers.
PEOPLE = (
    DemoPerson("olivia.bennett", "Olivia", "Bennett", "Chief Executive Officer", LEADERSHIP, None),
    DemoPerson("sophie.wagner", "Sophie", "Wagner", "Executive assistant", LEADERSHIP, "olivia.bennett"),
    # Engineering
    DemoPerson("rajesh.iyer", "Rajesh", "Iyer", "VP of Engineering", "Engineering", "olivia.bennett"),
    DemoPerson("manager", "Hannah", "Clarke", "Engineering team lead", "Engineering", "rajesh.iyer"),
    DemoPerson("employee", "Tom", "Fischer", "Software engineer", "Engineering", "manager"),
    DemoPerson("peer", "Aisha", "Rahman", "Senior software engineer", "Engineering", "manager"),
    DemoPerson("lucas.moreau", "Lucas", "Moreau", "QA engineer", "Engineering", "manager"),
    DemoPerson("leo.martin", "Leo", "Martin", "Frontend engineer", "Engineering", "manager"),
    DemoPerson("mei.chen", "Mei", "Chen", "Platform team lead", "Engineering", "rajesh.iyer"),
    DemoPerson("daniel.okafor", "Daniel", "Okafor", "Site reliability engineer", "Engineering", "mei.chen"),
    DemoPerson("sofia.rossi", "Sofia", "Rossi", "Backend engineer", "Engineering", "mei.chen"),
    DemoPerson("jonas.berg", "Jonas", "Berg", "Data engineer", "Engineering", "mei.chen"),
    # Sales
    DemoPerson("grace.mitchell", "Grace", "Mitchell", "Sales director", "Sales", "olivia.bennett"),
    DemoPerson("manager2", "Marcus", "Webb", "Sales team lead, EMEA", "Sales", "grace.mitchell"),
    DemoPerson("employee2", "Priya", "Nair", "Account executive", "Sales", "manager2"),
    DemoPerson("ethan.brooks", "Ethan", "Brooks", "Account executive", "Sales", "manager2"),
    DemoPerson("chloe.dubois", "Chloé", "Dubois", "Sales development representative", "Sales", "manager2"),
    DemoPerson("samuel.adeyemi", "Samuel", "Adeyemi", "Sales team lead, Americas", "Sales", "grace.mitchell"),
    DemoPerson("laura.kim", "Laura", "Kim", "Account executive", "Sales", "samuel.adeyemi"),
    DemoPerson("diego.alvarez", "Diego", "Álvarez", "Customer success manager", "Sales", "samuel.adeyemi"),
    # Left during the current cycle: in last year's cycle, not in this one.
    DemoPerson("peter.hall", "Peter", "Hall", "Account executive", "Sales", "samuel.adeyemi", is_active=False),
    # Marketing
    DemoPerson("isabel.costa", "Isabel", "Costa", "Head of Marketing", "Marketing", "olivia.bennett"),
    DemoPerson("noah.wright", "Noah", "Wright", "Content marketing manager", "Marketing", "isabel.costa"),
    DemoPerson("oliver.grant", "Oliver", "Grant", "Graphic designer", "Marketing", "noah.wright"),
    DemoPerson("emma.larsen", "Emma", "Larsen", "Content writer", "Marketing", "noah.wright"),
    DemoPerson("yuki.tanaka", "Yuki", "Tanaka", "Product marketing manager", "Marketing", "isabel.costa"),
    # Finance
    DemoPerson("fatima.haddad", "Fatima", "Haddad", "Chief Financial Officer", "Finance", "olivia.bennett"),
    DemoPerson("james.porter", "James", "Porter", "Financial controller", "Finance", "fatima.haddad"),
    DemoPerson("ana.silva", "Ana", "Silva", "Financial analyst", "Finance", "james.porter"),
    DemoPerson("ben.cohen", "Ben", "Cohen", "Accounts payable specialist", "Finance", "james.porter"),
    DemoPerson("nina.petrova", "Nina", "Petrova", "Payroll specialist", "Finance", "james.porter"),
    # Operations
    DemoPerson("michael.osei", "Michael", "Osei", "Head of Operations", "Operations", "olivia.bennett"),
    DemoPerson("sarah.lindqvist", "Sarah", "Lindqvist", "Operations team lead", "Operations", "michael.osei"),
    DemoPerson("kevin.walsh", "Kevin", "Walsh", "Operations analyst", "Operations", "sarah.lindqvist"),
    DemoPerson("lina.novak", "Lina", "Novak", "Procurement specialist", "Operations", "sarah.lindqvist"),
    DemoPerson("omar.farouk", "Omar", "Farouk", "IT support specialist", "Operations", "sarah.lindqvist"),
    DemoPerson("rachel.adams", "Rachel", "Adams", "Facilities coordinator", "Operations", "michael.osei"),
    # People
    DemoPerson("elena.marsh", "Elena", "Marsh", "Head of People", "People", "olivia.bennett"),
    DemoPerson("hr", "Zoe", "Turner", "HR business partner", "People", "elena.marsh", hr=True),
    DemoPerson("david.nguyen", "David", "Nguyen", "Talent acquisition specialist", "People", "elena.marsh"),
    DemoPerson("maria.santos", "Maria", "Santos", "Learning and development partner", "People", "elena.marsh"),
)  # fmt: skip

# The logins the README, the tests and the browser tests rely on.
LOGINS = (
    ("hr", "HR admin"),
    ("manager", "Manager of employee and peer"),
    ("employee", "Employee, reports to manager"),
    ("peer", "Employee, peer of employee"),
    ("manager2", "Manager in another department"),
    ("employee2", "Employee, reports to manager2"),
)

FIRST_NAMES = (
    "Amelia", "Noah", "Olivia", "Liam", "Ava", "Mateo", "Isla", "Arjun", "Freya", "Kenji",
    "Zara", "Lucas", "Maya", "Omar", "Chloe", "Elijah", "Hana", "Felix", "Leila", "Marco",
    "Ines", "Samuel", "Nadia", "Tomas", "Priya", "Owen", "Sara", "Yusuf", "Grace", "Aiden",
    "Mila", "Rohan", "Clara", "Diego", "Anya", "Jack", "Lena", "Kwame", "Ruby", "Hugo",
    "Elif", "Oscar", "Aaliyah", "Finn", "Mariam", "Ethan", "Sofia", "Ravi", "Julia", "Theo",
    "Amara", "Leon", "Nora", "Kofi", "Emma", "Malik", "Alice", "Joon", "Layla", "Adam",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Patel", "Garcia", "Nguyen", "Kowalski", "Okafor", "Muller", "Rossi", "Tanaka",
    "Johansson", "Hughes", "Khan", "Silva", "Dubois", "Murphy", "Chen", "Novak", "Mensah",
    "Fernandez", "Kim", "Larsen", "Ahmed", "Walker", "Costa", "Schmidt", "Ito", "Osei",
    "Moreno", "Wright", "Sato", "Haddad", "Kaur", "Bianchi", "Jansen", "Ward", "Lopez",
    "Yilmaz", "Eriksen", "Adeyemi", "Campbell", "Horvat", "Reyes", "Sharma", "Fischer",
    "Byrne", "Park", "Santos", "Ivanova", "Baker", "Nakamura", "Moretti", "Owusu", "Clarke",
    "Lindberg", "Diaz", "Rahman", "Foster", "Weber", "Suzuki", "Murray", "Petrov", "Ali",
    "Coleman", "Vasquez", "Berg", "Sullivan", "Mwangi", "Ortiz", "Hall", "Nilsson",
)  # fmt: skip
