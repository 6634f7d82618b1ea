import type { Reason } from './reasons.js';
import { compileRules, firstMatch, type TextRule } from './vendor-texts.js';

/**
 * Non-English diagnostic texts, by reason: German, French, Spanish, Italian, Portuguese, Dutch,
 * Polish, Russian, Japanese, Chinese (simplified), Korean, Czech and Swedish, one pattern per
 * language and reason, written for the wordings local MTAs, webmail providers and carriers put in
 * their replies and notifications.
 *
 * The patterns match text folded by {@link foldDiacritics}: Latin accents stripped and a few
 * letters spelled out (ł → l, ß → ss, ё → е), because gateways and old MTAs often drop accents
 * (or answer in 7-bit only), and a rule written once then holds for "boîte pleine" and
 * "boite pleine" alike. Case is ignored (the `i` flag folds Cyrillic too).
 *
 * Order, as in the English table: content and policy answers first (a provider that calls a
 * message spam may also say it "refused the user"), account state before blocks (an account
 * "gesperrt" is suspended, an IP "gesperrt" is blocked), message size before mailbox capacity
 * (both say "size" or 容量), domains before users (收件人域名不存在 is about the domain), and the
 * bare "does not exist" of each language last, once no domain rule claimed it.
 */
export const INTL_TEXT_RULES: readonly TextRule[] = [
  {
    // A mailing list (Google Groups and the like) that refuses posts from non-members: "the group
    // may not exist or you are not allowed to post" rejects the sender, it says nothing of an address.
    reason: 'rejected',
    patterns: [
      /(?:skupin|gruppe|groupe|grupo|gruppo|groep|grupa|grupp)\w*.{0,200}(?:opravneni|berechtigung|autoris|permiso|permesso|permissao|toestemming|uprawnien|behorighet)/i,
      /групп?\S*.{0,200}(?:прав|разрешени|дозвол)/i,
      /(?:グループ|群组|群組|그룹).{0,120}(?:権限|权限|權限|권한)/,
    ],
  },
  {
    reason: 'spamdetected',
    patterns: [
      /als spam (?:eingestuft|erkannt|markiert|klassifiziert|bewertet)|spamverdacht|spam-verdacht|unerwunschte werbung/i,
      /(?:considere|identifie|detecte|classe|qualifie|juge) comme (?:du |un )?(?:spam|pourriel|indesirable)|pourriel|courrier (?:non sollicite|indesirable)/i,
      /(?:considerado|detectado|clasificado|identificado|marcado) como (?:correo no deseado|spam|basura)|correo (?:no deseado|basura)/i,
      /(?:considerato|identificato|rilevato|classificato|riconosciuto) come (?:spam|posta indesiderata)|posta indesiderata/i,
      /(?:considerad|identificad|detectad|classificad|marcad)[oa] como (?:spam|lixo)|lixo eletronico|mensagem indesejada/i,
      /(?:aangemerkt|gemarkeerd|herkend|beschouwd|geclassificeerd) als spam|ongewenste (?:e-?mail|post|berichten|reclame)/i,
      /(?:uznan|rozpoznan|oznaczon|zakwalifikowan|sklasyfikowan)\w* (?:jako|za) spam|niechcian\w* (?:poczt|wiadomos)/i,
      /(?:распознан|определен|признан|помечен|классифицирован)\S* как спам|спам|нежелательн\S* (?:почт|письм|сообщени|рассылк)/i,
      /迷惑メール|スパム/,
      /垃圾邮件|广告邮件|被识别为垃圾/,
      /스팸|광고성 ?메일|유해 ?메일/,
      /(?:oznacen|rozpoznan|vyhodnocen|klasifikovan)\w* jako spam|nevyzadan\w* (?:post|zprav|reklam)/i,
      /(?:klassa|markera|identifiera|bedom|klassificera)\w* som (?:spam|skrappost)|skrappost|oonskad (?:e-?post|reklam)/i,
    ],
  },
  {
    reason: 'suspend',
    patterns: [
      /(?:konto|benutzerkonto|postfach|mailbox|benutzer|account) (?:ist |wurde )?(?:vorubergehend |voruebergehend )?(?:gesperrt|deaktiviert|stillgelegt|inaktiv|eingefroren)/i,
      /(?:compte|boite(?: aux lettres)?|utilisateur) (?:est |a ete )?(?:temporairement )?(?:desactive|suspendu|bloque|ferme|inactif|expire)e?/i,
      /(?:cuenta|buzon|usuario) (?:esta |ha sido |se encuentra )?(?:temporalmente )?(?:suspendid|deshabilitad|desactivad|bloquead|inactiv|cancelad)[oa]/i,
      /(?:account|casella|utente) (?:e |e stat[oa] )?(?:temporaneamente )?(?:sospes|disabilitat|disattivat|bloccat)[oa]/i,
      /(?:conta|caixa postal|usuario|utilizador) (?:esta |foi )?(?:temporariamente )?(?:suspens|desativad|desabilitad|bloquead|inativ)[oa]/i,
      /(?:account|mailbox|postvak|gebruiker) (?:is |werd )?(?:tijdelijk )?(?:geblokkeerd|uitgeschakeld|gedeactiveerd|opgeschort|inactief)/i,
      /(?:konto|skrzynka|uzytkownik) (?:jest |zostal[ao]? )?(?:tymczasowo )?(?:zablokowan|zawieszon|wylaczon|nieaktywn|dezaktywowan)/i,
      /(?:учетн\S* запис\S*|аккаунт|ящик|пользовател\S*) (?:\S+ )?(?:заблокирован|отключен|приостановлен|деактивирован|неактивен)/i,
      /(?:アカウント|ユーザー?|メールボックス|アドレス)(?:は|が)?(?:現在)?(?:利用)?(?:停止|無効|凍結|休止)/,
      /(?:帐户|账户|帐号|账号|邮箱|用户)(?:\S{0,3})?(?:冻结|停用|禁用|暂停|锁定|注销|已过期)/,
      /(?:계정|사용자|메일함|사서함)(?:이|가|은|는)? ?(?:정지|중지|휴면|비활성|잠금|잠겨|만료|차단)/,
      /(?:ucet|schranka|uzivatel) (?:je |byl[ao]? )?(?:docasne )?(?:zablokovan|pozastaven|deaktivovan|zrusen|neaktivni)/i,
      /(?:konto(?:t)?|brevlada(?:n)?|anvandare(?:n)?) (?:ar |har )?(?:sparrad|sparrat|blockerad|blockerat|avstangd|avstangt|inaktiv|avaktiverad|avaktiverat)/i,
    ],
  },
  {
    reason: 'blocked',
    patterns: [
      /schwarze[nr]? liste|sperrliste|blockiert|ip-adresse.{0,30}gesperrt/i,
      /liste noire|\bbloque|adresse ip .{0,30}(?:refusee|rejetee)/i,
      // Spanish and Portuguese write both the same way.
      /lista negra|\bbloquead[oa]|\bip .{0,30}(?:bloquead|rechazad|recusad)/i,
      /lista nera|\bbloccat[oa]/i,
      /zwarte lijst|geblokkeerd|blokkeerlijst/i,
      /czarn\w* lis|zablokowan/i,
      /черн\S* списк|блокирован|заблокирован|блокировк/i,
      /ブロック|ブラックリスト|拒否リスト/,
      /黑名单|拦截|被屏蔽|封禁/,
      /차단|블랙 ?리스트/,
      /cern\w* listin|blokovan/i,
      /svartlist|blockerad|blockerat|sparrlista/i,
    ],
  },
  {
    reason: 'policyviolation',
    patterns: [
      /richtlinie|verst(?:o|oe)sst gegen/i,
      /politique (?:de |du |d'|anti)|non conforme|contraire (?:a|aux) (?:la |nos )?(?:regles|politique)/i,
      /\bpoliticas? (?:de |del )|infringe|viola (?:la|las|nuestras) (?:politica|normas|reglas)/i,
      /\bpolitica (?:di|del|della|aziendale)|viola (?:le )?(?:regole|norme)/i,
      /\bpoliticas? (?:de |do |da )|viola (?:as )?(?:regras|politicas)/i,
      /\bbeleid|in strijd met/i,
      /\bpolityk|narusz\w* (?:zasad|polityk|regul)/i,
      /политик\S* (?:безопасности|сервера|почтов)|нарушени\S* (?:политик|правил)|нарушает правил/i,
      /ポリシー|規約違反/,
      /策略|违反.{0,6}(?:规定|规则|政策)/,
      /정책/,
      /rozpor\w* se zasad|porus\w* (?:zasad|pravid)|bezpecnostni politik/i,
      /(?:var|var[ta]) policy|policyn|strider mot|bryter mot/i,
    ],
  },
  {
    reason: 'rejected',
    patterns: [
      /absender(?:adresse)? (?:wurde |ist )?(?:abgelehnt|zuruckgewiesen|zurueckgewiesen|ungultig|ungueltig|nicht erlaubt)/i,
      /expediteur (?:est |a ete )?(?:refuse|rejete|non autorise|invalide)|adresse (?:de l'|d')expediteur .{0,30}(?:refusee|rejetee|invalide)/i,
      /remitente (?:es |ha sido )?(?:rechazado|invalido|no autorizado|no permitido)/i,
      /mittente (?:e |e stato )?(?:rifiutato|respinto|non valido|non autorizzato)/i,
      /remetente (?:e |foi )?(?:rejeitado|recusado|invalido|nao autorizado)/i,
      /afzender (?:is |werd )?(?:geweigerd|afgewezen|ongeldig|niet toegestaan)/i,
      /nadawca (?:zostal |jest )?(?:odrzucony|niedozwolony|nieprawidlowy|zablokowany)/i,
      /отправител\S* (?:\S+ )?(?:отклонен|запрещен|не разрешен|недопустим)/i,
      /送信者(?:アドレス)?(?:は|が)?(?:拒否|不正)|送信元(?:アドレス)?(?:は|が)?拒否/,
      /发件人(?:\S{0,4})?(?:被拒绝|拒绝|无效|不允许|非法)/,
      /발신자(?:가|는)? ?(?:거부|허용되지)|보낸 ?사람(?:이|은)? ?거부/,
      /odesilatel (?:byl |je )?(?:odmitnut|zamitnut|neplatny|nepovolen)/i,
      /avsandare(?:n)? (?:ar |har )?(?:avvisad|nekad|ogiltig|inte tillaten)/i,
    ],
  },
  {
    reason: 'mesgtoobig',
    patterns: [
      /(?:nachricht|e-?mail|mail) (?:ist )?zu gro(?:ss|s)|nachrichtengro(?:e)?sse|maximale (?:nachrichten)?gro(?:e)?sse/i,
      /message (?:est )?trop (?:volumineux|gros|grand|long)|taille (?:du message |maximale ).{0,30}depass|depasse la taille/i,
      /mensaje (?:es )?demasiado (?:grande|largo)|tamano (?:del mensaje|maximo).{0,30}(?:excede|supera)|excede el tamano/i,
      /messaggio (?:e )?troppo (?:grande|grosso|lungo)|dimensione .{0,40}(?:supera|eccede)|supera la dimensione/i,
      /mensagem (?:e )?(?:muito|demasiado) (?:grande|longa)|tamanho (?:da mensagem|maximo).{0,30}(?:excede|ultrapass)|excede o tamanho/i,
      /bericht (?:is )?te groot|berichtgrootte|maximale (?:bericht)?grootte/i,
      /wiadomosc (?:jest )?(?:zbyt|za) (?:duza|dluga)|rozmiar .{0,30}(?:przekroczon|przekracza)|przekracza (?:maksymalny )?rozmiar/i,
      /(?:сообщени|письм)\S* (?:\S+ )?слишком (?:велик|больш)|размер\S* (?:сообщения|письма) (?:\S+ )?превыш|превышен\S* (?:максимальн\S* )?размер\S* (?:сообщения|письма)/i,
      /(?:メッセージ|メール)(?:の)?サイズ(?:が|は)?(?:大きすぎ|制限を超え|上限を超え|超過)|サイズ(?:が)?大きすぎ|サイズ制限/,
      /邮件(?:\S{0,2})?(?:大小|尺寸|体积)(?:\S{0,4})?(?:超过|超出|过大|太大)|邮件(?:过大|太大)|信件(?:过大|太大)/,
      /(?:메시지|메세지|메일)(?:의)? ?크기(?:가|는)? ?(?:너무 ?(?:크|큽|큰)|초과|제한)|크기 ?제한/,
      /zprava (?:je )?(?:prilis|moc) velka|velikost .{0,30}(?:prekracuje|prekrocena)|prekracuje (?:maximalni )?velikost/i,
      /meddelande(?:t)? (?:ar )?for (?:stort|langt)|storleksgrans|maximal (?:meddelande)?storlek/i,
    ],
  },
  {
    reason: 'mailboxfull',
    patterns: [
      /(?:postfach|mailbox|postfachspeicher) .{0,30}(?:voll|uberfullt|ueberfuellt|uberschritten|ueberschritten)|(?:speicherplatz|kontingent|postfachgro(?:e)?sse) .{0,20}(?:erschopft|erschoepft|uberschritten|ueberschritten)/i,
      /boite (?:aux lettres |mail |de reception )?(?:du destinataire )?(?:est )?(?:pleine|saturee)|espace (?:de stockage )?insuffisant|capacite .{0,30}depassee/i,
      /buzon (?:de correo |del destinatario )?(?:esta |se encuentra )?(?:lleno|completo|saturado)|cuota (?:excedida|superada)|(?:excede|supera|excedio|supero) (?:la|su) cuota|espacio insuficiente/i,
      /casella (?:di posta |postale )?(?:del destinatario )?(?:e )?(?:piena|satura)|spazio (?:su disco )?insufficiente|(?:superat[oa]|esaurit[oa]) (?:la )?quota/i,
      /caixa (?:postal |de correio |de entrada )?(?:do destinatario )?(?:esta )?(?:cheia|lotada)|cota (?:excedida|ultrapassada)|espaco insuficiente/i,
      /(?:mailbox|postvak|postbus|brievenbus|inbox) (?:van de ontvanger )?(?:is )?(?:\bvol\b|overvol)|(?:quotum|opslaglimiet|opslagruimte) (?:is )?(?:overschreden|bereikt|vol)|onvoldoende (?:opslag)?ruimte/i,
      /skrzynka (?:pocztowa |odbiorcy )?(?:jest )?(?:pelna|przepelniona)|przekroczon\w* (?:limit|przydzial|pojemnosc)|brak (?:wolnego )?miejsca/i,
      /ящик\S* (?:\S+ )?(?:переполнен|заполнен|полон)|превышен\S* (?:квот|размер\S* (?:почтового )?ящик)|квот\S* (?:\S+ )?(?:превышен|исчерпан)|недостаточно (?:свободного )?места/i,
      /(?:メールボックス|受信箱|メール容量|容量)(?:の容量)?(?:が|は)?(?:いっぱい|一杯|満杯|超過|オーバー|不足)|容量/,
      /(?:邮箱|信箱|邮件箱|收件箱)(?:\S{0,4})?(?:已满|满了|空间不足|容量不足|超出|超过)|(?:超出|超过)(?:\S{0,4})?(?:配额|容量|空间)|配额已满|空间不足|容量已满/,
      /(?:메일함|사서함|편지함|메일 ?박스)(?:의)? ?(?:용량)?(?:이|가)? ?(?:가득|꽉|초과|부족)|용량(?:이)? ?(?:초과|부족)|할당량(?:을|이)? ?초과/,
      /schranka (?:prijemce )?(?:je )?(?:plna|preplnena|zaplnena)|prekrocen\w* (?:kvot|limit)|kvota (?:je )?(?:prekrocena|vycerpana)|nedostatek (?:mista|prostoru)/i,
      /(?:brevlada|inkorg)(?:n|en)? (?:ar )?(?:full|overfull)|(?:kvot(?:en)?|lagringsutrymme(?:t)?) (?:ar |har )?(?:overskrid|full|slut)|otillrackligt (?:lagrings)?utrymme/i,
    ],
  },
  {
    reason: 'hostunknown',
    patterns: [
      /(?:ziel)?domain (?:ist )?unbekannt|unbekannte (?:ziel)?domain|domain (?:existiert nicht|wurde nicht gefunden|nicht gefunden)|host (?:ist )?unbekannt|host nicht gefunden/i,
      /domaine (?:est )?(?:inconnu|inexistant|introuvable)|domaine .{0,40}n'existe pas|hote (?:inconnu|introuvable)/i,
      /dominio (?:es |e )?(?:desconocido|sconosciuto|desconhecido)|dominio (?:no existe|non esiste|nao existe|inexistente|inesistente|no encontrado|non trovato|nao encontrado)/i,
      /host (?:desconocido|sconosciuto|desconhecido)|no se (?:pudo|puede) resolver el (?:dominio|host)/i,
      /onbekend domein|domein (?:is )?onbekend|domein (?:bestaat niet|niet gevonden)|host (?:is )?onbekend/i,
      /nieznan\w* domen\w*|domena (?:jest )?nieznana|domena (?:nie istnieje|nie zostala znaleziona)|nieznany host/i,
      /домен\S* (?:\S+ )?(?:не найден|не существует)|(?:неизвестн|несуществующ)\S* домен|хост\S* не найден|неизвестн\S* хост/i,
      /ドメイン(?:名)?(?:は|が)?(?:存在しません|存在しない|見つかりません|見つからない|不明)|(?:不明な|存在しない)ドメイン|ホスト(?:名)?(?:は|が)?(?:見つかりません|不明)/,
      /域名(?:\S{0,4})?(?:不存在|无法解析|解析失败|未找到|找不到)|找不到(?:该)?域名|未知(?:的)?域名|主机(?:名)?(?:不存在|未找到|找不到)|未知主机/,
      /도메인(?:을|이|은|는)? ?(?:찾을 ?수 ?없|존재하지 ?않)|(?:존재하지 ?않는|알 ?수 ?없는) 도메인|호스트를 ?찾을 ?수 ?없/,
      /neznam\w* domen\w*|domena (?:je )?(?:neznama|neexistuje|nebyla nalezena)/i,
      /okand (?:doman|vard)|doman(?:en)? (?:ar )?(?:okand|finns inte|existerar inte|hittades inte|kunde inte hittas)/i,
    ],
  },
  {
    reason: 'userunknown',
    patterns: [
      /(?:benutzer|empf(?:a|ae)nger|adresse|mailbox|postfach) (?:ist )?unbekannt|unbekannte[rn]? (?:benutzer|empf(?:a|ae)nger|e-?mail-?adresse|adresse|postfach)|(?:benutzer|empf(?:a|ae)nger(?:adresse)?|e-?mail-?adresse|postfach|mailbox|konto) (?:existiert nicht|nicht gefunden|(?:ist )?nicht vorhanden|gibt es nicht)|kein(?:en)? (?:solche[rn]? )?(?:benutzer|postfach)/i,
      /(?:utilisateur|destinataire|correspondant) (?:est )?inconnu|adresse (?:e-?mail |electronique )?(?:est )?inconnue|(?:utilisateur|destinataire|adresse|boite(?: aux lettres)?|compte) (?:n'existe pas|inexistante?|introuvable|non trouvee?|invalide)|aucun (?:utilisateur|destinataire)/i,
      /(?:usuario|destinatario) (?:es )?desconocido|direccion (?:de correo )?desconocida|(?:usuario|destinatario|buzon|cuenta(?: de correo)?|direccion(?: de correo)?) (?:no existe|inexistente|no encontrad[oa]|invalid[oa])|no existe (?:el|la|ese|esa) (?:usuario|buzon|cuenta|direccion|destinatario)/i,
      /(?:utente|destinatario|indirizzo) (?:e )?sconosciut[oa]|(?:utente|destinatario|casella|indirizzo|account) (?:non esiste|inesistente|non trovat[oa]|non valid[oa]|non presente)/i,
      /(?:usuario|utilizador|destinatario) (?:e )?desconhecido|endereco desconhecido|(?:usuario|utilizador|destinatario|caixa postal|conta|endereco(?: de e-?mail)?) (?:nao existe|inexistente|nao encontrad[oa]|invalid[oa])/i,
      /onbekende (?:gebruiker|ontvanger|geadresseerde|mailbox|e-?mailadres|adres)|(?:gebruiker|ontvanger|mailbox|e-?mailadres|adres|account|postvak) (?:is )?onbekend|(?:gebruiker|ontvanger|mailbox|e-?mailadres|adres|account|postvak) (?:bestaat niet|niet gevonden)/i,
      /nieznany (?:uzytkownik|odbiorca|adresat)|(?:uzytkownik|odbiorca|adresat) (?:jest )?nieznany|(?:uzytkownik|odbiorca|adresat|skrzynka|konto|adres) (?:\S+ )?(?:nie istnieje|nie zostal[ao]? znalezion[yae])|nie ma takiego (?:uzytkownika|konta|adresu|odbiorcy)/i,
      /пользовател\S* (?:\S+ )?(?:не найден|не существует|неизвест)|(?:неизвестн|несуществующ)\S* (?:пользовател|получател|адрес|почтов|ящик)|(?:получател|адрес|ящик)\S* (?:\S+ )?(?:не найден|не существует|неизвест)|нет (?:такого|этого) (?:пользователя|адреса|ящика|получателя)/i,
      /宛先不明|存在しない(?:ユーザ|アドレス|宛先|アカウント|メールアドレス)|(?:ユーザー?|アドレス|宛先|アカウント|受信者)(?:は|が)?(?:存在しません|存在しない|見つかりません|見つからない|不明)/,
      /(?:用户|用户名|收件人|收信人|邮箱|邮件地址|地址|帐户|账户|帐号|账号)(?:\S{0,4})?(?:不存在|未找到|找不到)|无此(?:用户|邮箱|收件人|帐号|账号)|(?:未知|无效)(?:的)?(?:用户|收件人|地址)|用户未知/,
      /(?:사용자|수신자|받는 ?사람|메일 ?주소|주소|계정|메일함|사서함)(?:를|을|가|이|는|은)? ?(?:찾을 ?수 ?없|존재하지 ?않)|(?:존재하지 ?않는|알 ?수 ?없는|없는) (?:사용자|계정|주소|메일 ?주소|수신자|메일함)/,
      /neznam\w* (?:uzivatel|prijemce|adresat)|(?:uzivatel|prijemce|adresat|schranka|ucet|adresa) (?:je )?(?:neznam\w*|neexistuje|nebyl[ao]? nalezen[ao]?)|neexistujici (?:uzivatel|adresa|schranka|ucet)/i,
      /okand (?:anvandare|mottagare|adress|brevlada)|(?:anvandare|mottagare|e-?postadress|adress|brevlada|konto)(?:n|en|t|na)? (?:ar )?(?:okand|finns inte|existerar inte|hittades inte|kunde inte hittas)|ingen sadan (?:anvandare|mottagare|adress|brevlada)/i,
    ],
  },
  {
    reason: 'systemerror',
    patterns: [
      /interner (?:server)?fehler|systemfehler|serverfehler|lokaler fehler|(?:vorubergehend|voruebergehend|temporar|temporaer)er fehler/i,
      /erreur (?:interne|systeme|du serveur|temporaire|locale)|probleme (?:temporaire|technique)/i,
      /error (?:interno|del sistema|del servidor|temporal|local)|fallo (?:temporal|del sistema|interno)/i,
      /errore (?:interno|di sistema|del server|temporaneo|locale)/i,
      /erro (?:interno|do sistema|do servidor|temporario|local)|falha (?:temporaria|interna|do sistema)/i,
      /interne (?:server)?fout|systeemfout|serverfout|tijdelijke (?:fout|storing)|tijdelijk probleem/i,
      /blad (?:wewnetrzny|systemu|serwera|tymczasowy|lokalny)|wewnetrzny blad|tymczasowy (?:blad|problem)/i,
      /(?:внутренн|системн)\S* ошибк|ошибк\S* (?:сервера|системы)|временн\S* (?:ошибк|сбой|проблем)/i,
      /システムエラー|内部エラー|サーバー?エラー|一時的な(?:エラー|障害|問題)/,
      /系统错误|内部错误|服务器错误|系统繁忙|临时错误|暂时(?:性)?(?:错误|故障)/,
      /시스템 ?오류|내부 ?오류|서버 ?오류|일시적(?:인)? ?(?:오류|장애|문제)/,
      /(?:vnitrni|interni|systemova|docasna) chyba|chyba (?:serveru|systemu)/i,
      /(?:internt|tillfalligt) fel|systemfel|serverfel/i,
    ],
  },
  {
    reason: 'expired',
    patterns: [
      /zu lange in der warteschlange|zustellung .{0,40}(?:abgelaufen|aufgegeben)|(?:zustell|warte)zeit .{0,20}(?:uberschritten|ueberschritten|abgelaufen)|innerhalb von \d+ (?:tagen|stunden) nicht zugestellt/i,
      /delai (?:de (?:livraison|distribution|remise|acheminement) )?(?:est )?(?:depasse|expire)|trop longtemps dans la file|n'a pas pu etre (?:remis|distribue|delivre) .{0,40}(?:jours|heures)/i,
      /tiempo (?:de entrega |de espera )?(?:agotado|expirado|excedido)|demasiado tiempo en la cola|no (?:se )?(?:pudo|ha podido) entregar .{0,40}(?:dias|horas)/i,
      /tempo (?:massimo )?(?:di consegna )?(?:scaduto|esaurito|superato)|troppo a lungo in coda|non (?:e stato possibile )?consegna\w* .{0,40}(?:giorni|ore)/i,
      /tempo (?:de entrega |limite de entrega )?(?:esgotado|expirado|excedido)|nao (?:foi possivel entregar|pode ser entregue) .{0,40}(?:dias|horas)/i,
      /te lang in de wachtrij|(?:bezorg|aflever)tijd (?:is )?(?:verstreken|verlopen)|niet (?:kunnen )?(?:worden )?(?:bezorgd|afgeleverd) .{0,40}(?:dagen|uur)/i,
      /przekroczono czas|czas (?:dostarczenia|dostarczania|oczekiwania) (?:\S+ )?(?:uplynal|minal|przekroczony)|zbyt dlugo w kolejce|nie (?:udalo sie|mozna bylo) dostarczyc .{0,40}(?:dni|godzin)/i,
      /истек\S* (?:\S+ )?(?:время|срок)|(?:время|срок) (?:доставки |ожидания )?(?:\S+ )?(?:истекл?|вышл?)|слишком долго в очереди|не (?:удалось|может быть) доставить .{0,40}(?:дн|дней|час)/i,
      /(?:配送|配信|送信)(?:の)?(?:期限|時間)(?:が|を)?(?:切れ|超過|超え)|期限切れ|再送(?:期限|回数)(?:を超え|超過)/,
      /(?:投递|发送|传递|递送)(?:\S{0,2})?超时|超过(?:最长)?(?:重试|投递)(?:时间|期限)|已过期|过期/,
      /(?:전송|배달|발송) ?(?:시간|기한) ?(?:초과|만료)|시간 ?초과|만료/,
      /vyprsel\w* (?:cas|lhut)|(?:cas|lhuta) (?:pro doruceni |doruceni )?vyprsel\w*|prilis dlouho ve fronte|nepodarilo (?:se )?dorucit .{0,40}(?:dn|hodin)/i,
      /for lange i kon|(?:leveranstiden|tidsgransen) (?:har )?(?:gatt ut|overskridits|lopt ut)|kunde inte levereras .{0,40}(?:dagar|timmar)/i,
    ],
  },
  {
    // The plain "does not exist" of each language, once no domain rule claimed the text.
    reason: 'userunknown',
    patterns: [
      // A hedged "probably does not exist" is not a verdict on the address.
      /(?<!(?:wahrscheinlich|moglicherweise|vielleicht|probablement|peut-etre|probablemente|posiblemente|probabilmente|forse|provavelmente|waarschijnlijk|misschien|prawdopodobnie|mozliwe,? ze|pravdepodobne|mozna|mozna,? ze|troligen|kanske|возможно|вероятно|наверное),? )(?:existiert nicht|n'existe pas|no existe|non esiste|nao existe|bestaat niet|nie istnieje|не существует|neexistuje|finns inte)/i,
      /存在しない|存在しません|不存在|존재하지 ?않/,
    ],
  },
];

const SPELLED_OUT: Readonly<Record<string, string>> = {
  ł: 'l',
  Ł: 'L',
  ß: 'ss',
  ø: 'o',
  Ø: 'O',
  đ: 'd',
  ё: 'е',
  Ё: 'Е',
};

/**
 * The text with Latin accents stripped (NFKD, combining marks after a Latin letter dropped,
 * NFKC), the letters NFKD keeps spelled out, curly apostrophes straightened and whitespace
 * collapsed. Cyrillic, kana and Hangul keep their own marks (й, が, 한 stay whole).
 */
const COMPILED = compileRules(INTL_TEXT_RULES);

const NON_ASCII = /[^\t\n\r -~]/;

export function foldDiacritics(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/([A-Za-z\u00c0-\u024f])[\u0300-\u036f]+/g, '$1')
    .normalize('NFKC')
    .replace(/[łŁßøØđёЁ]/g, (c) => SPELLED_OUT[c] ?? c)
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/\s+/g, ' ');
}

/** The reason of the first non-English rule matching `text`, or `undefined`. */
export function matchIntlTextRules(text: string): Reason | undefined {
  // Most diagnostics are ASCII: folding (two Unicode normalisations) changes nothing in them but
  // quotes and whitespace.
  const folded = NON_ASCII.test(text) ? foldDiacritics(text) : text.replace(/`/g, "'").replace(/\s+/g, ' ');
  return firstMatch(COMPILED, folded);
}
