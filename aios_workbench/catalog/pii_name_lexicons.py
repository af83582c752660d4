"""Family names where a script's names are few and concentrated, for the columns whose shape cannot tell names
from other words: Chinese (a few hundred family names cover nearly every person), Korean (a hundred or so),
Japanese (the most frequent ones), and the Arabic words that build a lineage name (`آل` "family of", `بن` "son
of", `أبو` "father of").

Written for this detector from general knowledge of the languages' naming; they serve as the census lexicon
(`names` package) does for Latin-script names: a column of lone values is a column of names when most of its
distinct values are known family names.
"""

from __future__ import annotations

import unicodedata

CHINESE_FAMILY_NAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安"
    "齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛"
    "靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚"
    "皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦"
    "戈伏鹿薄邸雍辜羊母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝"
    "智幸奉植衡富尧闭由"
)
CHINESE_COMPOUND_FAMILY_NAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 西门 南宫 独孤".split()
)
KOREAN_FAMILY_NAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소"
    "석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용예경봉"
)
KOREAN_COMPOUND_FAMILY_NAMES = frozenset("남궁 황보 제갈 선우 독고 사공 서문".split())
JAPANESE_FAMILY_NAMES = frozenset(
    """
佐藤 鈴木 高橋 田中 伊藤 渡辺 渡邊 渡邉 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 斉藤 齋藤 齊藤
清水 山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本 福田 太田
西村 藤井 金子 岡本 藤原 中野 三浦 原田 中川 松田 竹内 小野 田村 中山 和田 石田 森田 上田 原 内田 柴田 酒井 宮崎 横山
高木 安藤 宮本 大野 小島 谷口 工藤 高田 増田 丸山 今井 河野 藤本 村田 武田 上野 杉山 千葉 平野 大塚 松井 菅原 岩崎
久保 木下 野口 松尾 菊地 野村 新井 渡部 佐野 大西 杉本 山内 今村 菊池 堀 市川 五十嵐 北村 水野 小山 西田 桑原 中西
松下 吉川 吉村 東 岩田 服部 本田 中田 樋口 山中 川口 永井 森本 荒木 浅野 小池 大橋 平田 石原 小松 飯田 須藤 内藤
熊谷 川上 関 大久保 星野 岡崎 田口 片山 松岡 望月 大島 辻 宮田 安田 川村 小田 本間 関口 中尾 吉岡 土屋 高野 西川
松浦 秋山 桜井 小西 野田 宮下 川崎 矢野 上原 古川 横田 大谷 武藤 佐久間 根本 広瀬 榎本 荒井 早川 奥村 久保田 小沢
竹田 川田 平井 大石 黒田 尾崎 島田 上村 福井 西山 浜田 北川 堤 岡 安部 千田 宇野 杉浦 永田 大川 坂口 坂井 米田 金井
沢田 松村 今野 中谷 大森 菅野 河合 吉野 小原 西 南 北 飯島 水谷 細川 奥田 福島 黒川 片岡 小倉 大山 平山 岩本 石橋
""".split()
)


def fold(word: str) -> str:
    """Lower case without accents (`Пётр` -> `петр`, `Γιώργος` -> `γιωργος`)."""
    return "".join(ch for ch in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(ch))


# Frequent given names in Cyrillic (Russian, Ukrainian) and Greek, with their common short forms: the census
# lexicon's role for scripts it does not cover. A few hundred names cover less of a population than the
# census's 5,000 do of its own, so a column needs a lower share of them (`pii_names.SCRIPT_LEXICON_SHARE`).
CYRILLIC_GREEK_GIVEN_NAMES = frozenset(
    fold(name)
    for name in """
Александр Алексей Анатолий Андрей Антон Аркадий Арсений Артём Артем Борис Вадим Валентин Валерий Василий Виктор
Виталий Владимир Владислав Всеволод Вячеслав Геннадий Георгий Герман Глеб Григорий Даниил Денис Дмитрий Евгений
Егор Иван Игорь Илья Кирилл Константин Лев Леонид Максим Марк Матвей Михаил Никита Николай Олег Павел Пётр Петр
Роман Руслан Семён Семен Сергей Станислав Степан Тимофей Тимур Фёдор Федор Юрий Яков Ярослав Эдуард Богдан
Ростислав Святослав Захар Платон Савелий Филипп Макар Назар Эрик Давид Мирон Валериан Вениамин Викентий Гавриил
Герасим Елисей Ефим Игнат Иннокентий Ираклий Кузьма Лаврентий Лука Мартын Никифор Нестор Осип Прохор Родион Савва
Тихон Трофим Фома Харитон Эмиль Александра Алина Алла Анастасия Ангелина Анна Антонина Валентина Валерия Вера
Вероника Виктория Галина Дарья Диана Ева Евгения Екатерина Елена Елизавета Жанна Зинаида Зоя Инна Ирина Карина Кира
Ксения Лариса Лидия Любовь Людмила Маргарита Марина Мария Надежда Наталья Наталия Нина Оксана Олеся Ольга Полина
Раиса Светлана София Софья Тамара Татьяна Ульяна Юлия Яна Василиса Варвара Милана Алиса Кристина Эльвира Снежана
Таисия Анфиса Агата Аглая Владислава Всеслава Дина Злата Клавдия Лилия Майя Нонна Регина Римма Розалия Стефания
Фаина Эвелина Ярослава Олимпиада Прасковья Евдокия Марфа Олександр Олексій Андрій Василь Віктор Володимир Дмитро
Іван Ігор Микола Михайло Павло Петро Сергій Тарас Юрій Остап Євген Григорій Данило Віталій Анатолій Валерій
Геннадій Костянтин Леонід Мирослав Орест Устим Федір Яків Олена Ірина Наталія Тетяна Юлія Світлана Ганна Катерина
Вікторія Надія Софія Дарина Христина Соломія Зоряна Леся Мирослава Богдана Уляна Ярина Любов Лілія Марта Марія Єва
Мар'яна
Γεώργιος Γιώργος Δημήτριος Δημήτρης Κωνσταντίνος Κώστας Ιωάννης Γιάννης Νικόλαος Νίκος Παναγιώτης Χρήστος Βασίλειος
Βασίλης Αθανάσιος Θανάσης Ευάγγελος Βαγγέλης Μιχαήλ Μιχάλης Σπυρίδων Σπύρος Αντώνιος Αντώνης Ελευθέριος Λευτέρης
Αναστάσιος Τάσος Θεόδωρος Ανδρέας Εμμανουήλ Μανώλης Σταύρος Πέτρος Αλέξανδρος Στυλιανός Στέλιος Άγγελος Απόστολος
Σωτήριος Σωτήρης Χαράλαμπος Μάριος Φώτιος Ηλίας Αριστείδης Στέφανος Λάμπρος Ιωσήφ Παύλος Φίλιππος Λεωνίδας Αχιλλέας
Οδυσσέας Περικλής Θεμιστοκλής Αριστοτέλης Πλάτων Ορέστης Ιάσων Άρης Διονύσιος Κυριάκος Γρηγόριος Ευστάθιος Θωμάς
Ματθαίος Λουκάς Μάρκος Νεκτάριος Ραφαήλ Τιμόθεος Ζαχαρίας Πρόδρομος Ξενοφών Κλεάνθης Μιλτιάδης Αγαμέμνων Σάββας
Παρασκευάς Χαρίλαος Ευθύμιος Προκόπιος Σεραφείμ Νικηφόρος Ερμής Σωκράτης Ιπποκράτης Δαμιανός Μαρία Ελένη Αικατερίνη
Κατερίνα Βασιλική Σοφία Αγγελική Γεωργία Δήμητρα Κωνσταντίνα Παναγιώτα Ιωάννα Ευαγγελία Χριστίνα Αναστασία Φωτεινή
Ειρήνη Θεοδώρα Αλεξάνδρα Ευτυχία Χρυσούλα Αθανασία Σταυρούλα Ζωή Νικολέτα Δέσποινα Αντωνία Ευδοκία Μαργαρίτα
Παρασκευή Κυριακή Άννα Μαρίνα Ευγενία Πηνελόπη Καλλιόπη Ουρανία Πολυξένη Αφροδίτη Αρετή Ασπασία Ανθή Ολυμπία
Στυλιανή Χαρίκλεια Λαμπρινή Βαρβάρα Ελισάβετ Μυρτώ Κλεοπάτρα Ξανθή Σεβαστή Φανή Νίκη Ευανθία Αργυρώ Ροδάνθη Χαρά
Ηλέκτρα Αριάδνη Δανάη Αθηνά Ευρυδίκη Ανδρομάχη Αντιγόνη Ιφιγένεια Μελίνα Ερμιόνη
""".split()
)


# endings that mark family names in Slavic languages and Greek (`Кузнецова`, `Онуфрієнко`, `Musilová`,
# `Kowalski`, `Παπαδοπούλου`, `Ταμιωλάκης`): patronymic and possessive suffixes, rare in towns and job titles
FAMILY_NAME_ENDINGS = tuple(
    """ов ова ев ева ёв ёва ин ина ын ына ский ская цкий цкая енко ко чук юк ук ський ська цький цька ович евич
    ski ska cki cka dzki dzka wicz czyk ová ský ská cký cká oğlu
    ου ίδης ίδη άκης άκη όπουλος οπούλου ιάδης ιάδη άτος""".split()
)
# separate words that only lineage names carry (the article `ال` is no sign: towns carry it too)
ARABIC_LINEAGE_WORDS = frozenset("آل بن ابن بنت أبو ابو أبا".split())


def is_known_family_name(word: str) -> bool:
    """`王`, `欧阳`, `김`, `남궁`, `佐藤`: a family name of the lexicons above, exactly."""
    return (
        word in CHINESE_FAMILY_NAMES
        or word in CHINESE_COMPOUND_FAMILY_NAMES
        or word in KOREAN_FAMILY_NAMES
        or word in KOREAN_COMPOUND_FAMILY_NAMES
        or word in JAPANESE_FAMILY_NAMES
    )


def has_family_name_ending(word: str) -> bool:
    return len(word) >= 4 and word.lower().endswith(FAMILY_NAME_ENDINGS)


def has_lineage_word(value: str) -> bool:
    return not ARABIC_LINEAGE_WORDS.isdisjoint(value.split())


def is_known_given_name(word: str) -> bool:
    """`Ольга`, `Γιώργος`: a given name of the Cyrillic and Greek lexicon."""
    return fold(word) in CYRILLIC_GREEK_GIVEN_NAMES
