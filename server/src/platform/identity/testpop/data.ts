/**
 * Name and place material for the synthetic population: family names with approximate shares in 重庆 (percent),
 * given-name characters by birth cohort and sex (most common first), characters for homophone errors, and
 * 多音字 substitutions that registration clerks make when they write a name from its sound.
 */

export const SURNAMES: readonly [string, number][] = [
  ['陈', 6.5],
  ['李', 6.3],
  ['张', 5.6],
  ['刘', 5.4],
  ['王', 5.0],
  ['杨', 3.6],
  ['何', 2.4],
  ['罗', 2.3],
  ['周', 2.2],
  ['黄', 2.0],
  ['吴', 1.8],
  ['谭', 1.7],
  ['唐', 1.6],
  ['彭', 1.5],
  ['向', 1.3],
  ['邓', 1.3],
  ['冉', 1.2],
  ['蒋', 1.2],
  ['赵', 1.2],
  ['曾', 1.2],
  ['徐', 1.1],
  ['胡', 1.1],
  ['冯', 1.0],
  ['余', 0.9],
  ['田', 0.9],
  ['任', 0.8],
  ['郑', 0.8],
  ['廖', 0.8],
  ['袁', 0.8],
  ['朱', 0.8],
  ['熊', 0.7],
  ['秦', 0.7],
  ['谢', 0.7],
  ['马', 0.7],
  ['郭', 0.7],
  ['高', 0.7],
  ['许', 0.6],
  ['付', 0.6],
  ['孙', 0.6],
  ['梁', 0.6],
  ['宋', 0.6],
  ['牟', 0.5],
  ['韦', 0.5],
  ['林', 0.5],
  ['董', 0.4],
  ['江', 0.4],
  ['文', 0.4],
  ['龚', 0.4],
  ['卢', 0.4],
  ['程', 0.4],
  ['雷', 0.4],
  ['邱', 0.4],
  ['石', 0.4],
  ['苏', 0.4],
  ['钟', 0.4],
  ['杜', 0.4],
  ['夏', 0.3],
  ['傅', 0.3],
  ['蒲', 0.3],
  ['姚', 0.3],
  ['汪', 0.3],
  ['贺', 0.3],
  ['范', 0.3],
  ['毛', 0.3],
  ['万', 0.3],
  ['魏', 0.3],
  ['陶', 0.3],
  ['汤', 0.3],
  ['潘', 0.3],
  ['方', 0.3],
  ['姜', 0.3],
  ['邹', 0.3],
  ['戴', 0.2],
  ['游', 0.2],
  ['敖', 0.2],
  ['冷', 0.2],
  ['黎', 0.2],
  ['左', 0.2],
  ['崔', 0.2],
  ['覃', 0.2],
  ['母', 0.1],
  ['况', 0.1],
  ['税', 0.1],
  ['单', 0.08],
  ['欧阳', 0.08],
  ['解', 0.05],
  ['仇', 0.05],
  ['缪', 0.05],
  ['乐', 0.05],
  ['区', 0.03],
  ['盖', 0.03],
  ['尉', 0.02],
  ['召', 0.02],
  ['种', 0.02],
  ['司马', 0.02],
  ['上官', 0.02],
  ['诸葛', 0.01],
];

type Cohort = 'pre1960' | '1960s' | '1980s' | '2000s';

/** Given-name characters per cohort and sex, most common first (first char position / any position). */
export const GIVEN_CHARS: Record<Cohort, { male: string; female: string }> = {
  pre1960: {
    male: '德国华明福贵富财树林忠发山云成兴荣清正光学志文长世永元有天金全海生先朝强',
    female: '秀英兰芳珍桂玉淑翠凤素琼群芬莲菊梅香霞蓉惠慧贞花碧娥书会清明长',
  },
  '1960s': {
    male: '伟勇军强平刚斌波涛华明建国林辉峰红兵东杰宏俊健江亮海文志云川长盛',
    female: '敏静丽艳燕娟霞红梅萍琴英玲芳华琼莉蓉洁春晓凤兰秀群茜',
  },
  '1980s': {
    male: '杰磊鹏浩宇超帅洋强涛波勇斌俊飞龙林峰亮毅鑫凯阳伟博健成东川明行柏',
    female: '婷丹倩雪琳晶欣佳玲娟静敏燕艳丽颖月露洁芳霞莎梦菲瑶蕾璐茜蔚乐',
  },
  '2000s': {
    male: '子梓浩宇轩宸睿泽博铭俊杰诚一皓昊晨航然豪烨凡阳辰逸文天乐朝行',
    female: '欣怡涵萱彤可馨雨梓诺一语琪悦嘉佳思雅若汐梦瑶晴妍蕊菲乐茜',
  },
};

export function cohortOf(year: number): Cohort {
  if (year < 1960) return 'pre1960';
  if (year < 1980) return '1960s';
  if (year < 2000) return '1980s';
  return '2000s';
}

/** Share of single-character given names by cohort. */
export const SINGLE_CHAR_SHARE: Record<Cohort, number> = { pre1960: 0.15, '1960s': 0.3, '1980s': 0.35, '2000s': 0.12 };

/**
 * More characters for homophone errors (a clerk picks another character with the same sound) — each group shares
 * a reading with name or place characters.
 */
export const HOMOPHONE_EXTRA =
  '立力利理里礼历励俐岩言妍颜严研彦雁焰花化画桦铭鸣名茗新心鑫馨辛芯君峻骏均宏洪鸿虹弘晶敬京菁精经竞亭廷庭霆' +
  '雨玉语羽钰予紫姿资晗含寒韩函萱宣璇玄昊皓豪好洁捷婕朋蓬蕾垒玮维薇炜威永咏泳钢彬滨宾博柏伯桃陶慧惠会汇晖' +
  '锋风枫丰冰冬栋靓量凯雯闻智治致芸韵传民闽鹃侠美媚苹勤芹灵铃凌方穷容荣融纯小学霖麟家嘉英莹瑛悦越岳路璐' +
  '沙孟飞非遥宜仪同柯琦祺旗奇亚希熙溪曦清青庆瑞锐依杭叶帆扬洋毅艺易章汪黎伍武骆洛阳扬项相姜于鱼俞仁傅富' +
  '秋丘中度卫尤由登堂醉最弯万平霸八勾乔侨唐西妙苗鸭丫宁南年念娘农浓柳刘兰蓝栏男难能楞' +
  '层增谋穆葛郁邵崇善昭航希江成深申云迪谢邱欧';

/**
 * 多音字: characters used in names with a reading other than their most common one, and characters a clerk writes
 * for that reading (覃 qín/tán → 秦/谭, 解 xiè → 谢, 乐 yuè → 岳).
 */
export const POLYPHONE_SUBSTITUTES: Readonly<Record<string, readonly string[]>> = {
  覃: ['秦', '谭'],
  解: ['谢'],
  仇: ['邱'],
  区: ['欧'],
  牟: ['穆', '谋'],
  盖: ['葛'],
  缪: ['苗'],
  尉: ['郁'],
  乐: ['岳', '悦', '越'],
  召: ['邵'],
  种: ['崇'],
  单: ['善'],
  长: ['章'],
  朝: ['昭'],
  行: ['航'],
  茜: ['希', '西'],
  强: ['江'],
  柏: ['博'],
  盛: ['成'],
  蔚: ['玉'],
  曾: ['层'],
};

/** Village name material (rural 村) and urban roads. */
export const VILLAGE_FIRST = '马龙石青金水花新大小凤黄白双三红桃竹柏松杨岩庙高长永太光明和平兴隆德福安宝铁银铜';
export const VILLAGE_SECOND = '嘴岩坪坝湾沟桥山河林溪塘井庙口田垭坡岭园峰池台湖泉';
export const URBAN_ROADS = [
  '金佛大道',
  '南大街',
  '东环路',
  '隆化路',
  '滨江路',
  '渝南大道',
  '南城大道',
  '西环路',
  '北固路',
  '花山路',
  '永隆大道',
  '三泉路',
  '龙济路',
  '半溪路',
  '南湖路',
  '玉泉路',
  '东街',
  '西街',
  '文化路',
  '南平路',
];
/** Dialling prefixes of Chinese mobile networks. */
export const MOBILE_PREFIXES = [
  '130',
  '131',
  '132',
  '133',
  '134',
  '135',
  '136',
  '137',
  '138',
  '139',
  '150',
  '151',
  '152',
  '153',
  '155',
  '156',
  '157',
  '158',
  '159',
  '166',
  '173',
  '177',
  '180',
  '181',
  '182',
  '183',
  '185',
  '186',
  '187',
  '188',
  '189',
  '199',
];
