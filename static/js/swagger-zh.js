// Swagger UI (the API's documentation page, /api/docs/) has no translations of its own: its fixed labels, word for
// word, in Chinese. Only a text node (or placeholder) that is exactly one of these labels changes, as Swagger UI draws
// it; what the schema says (paths, names, summaries, examples) is left as it is.
(() => {
  "use strict";
  const LABELS = {
    "Authorize": "认证", "Available authorizations": "可用的认证方式", "Logout": "退出", "Close": "关闭",
    "Name:": "名称：", "Value:": "值：", "Authorized": "已认证",
    "Parameters": "参数", "No parameters": "无参数", "Name": "名称", "Description": "说明", "Request body": "请求体",
    "required": "必填", "Try it out": "试一试", "Cancel": "取消", "Execute": "执行", "Clear": "清除", "Reset": "重置",
    "Send empty value": "发送空值", "Responses": "响应", "Request URL": "请求地址", "Server response": "服务器响应",
    "Code": "状态码", "Details": "详情", "Response body": "响应体", "Response headers": "响应头", "Download": "下载",
    "Links": "链接", "No links": "无链接", "Media type": "媒体类型", "Controls": "决定", "header.": "请求头。",
    "Example Value": "示例值", "Schema": "结构", "Schemas": "数据结构", "Servers": "服务器", "Undocumented": "未记载",
    "Loading...": "加载中…", "Filter by tag": "按标签筛选", "Expand all": "全部展开", "Collapse all": "全部收起",
    "Copy to clipboard": "复制", "Duration": "耗时", "Edit Value": "编辑值", "Model": "模型",
    "Parameter content type": "参数内容类型", "Response content type": "响应内容类型", "In:": "位置：",
    "Request duration": "请求耗时",
  };
  // The schema's own text and what the server answered stay as they are.
  const KEEP = "pre, code, textarea, .markdown, .renderedMarkdown, .parameter__name, .prop-name, .opblock-summary-path, " +
               ".opblock-summary-description, .model-title, .response-col_links .response-undocumented";

  function translateNode(node) {
    const key = node.nodeValue.trim();
    const label = LABELS[key];
    if (label && node.parentElement && !node.parentElement.closest(KEEP)) {
      node.nodeValue = node.nodeValue.replace(key, label);
    }
  }

  function translate(root) {
    if (root.nodeType === Node.TEXT_NODE) {
      translateNode(root);
      return;
    }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) translateNode(node);
    const attributed = root.matches("[placeholder], [title], [aria-label]") ? [root] : [];
    attributed.push(...root.querySelectorAll("[placeholder], [title], [aria-label]"));
    for (const element of attributed) {
      for (const name of ["placeholder", "title", "aria-label"]) {
        const value = element.getAttribute(name);
        if (value && LABELS[value.trim()]) element.setAttribute(name, LABELS[value.trim()]);
      }
    }
  }

  function start() {
    const root = document.getElementById("swagger-ui");
    if (!root) return;
    translate(root);
    new MutationObserver((records) => {
      for (const record of records) {
        if (record.type === "characterData") translate(record.target);
        else if (record.type === "attributes") translate(record.target);
        else record.addedNodes.forEach(translate);
      }
    }).observe(root, {childList: true, subtree: true, characterData: true, attributes: true,
                      attributeFilter: ["placeholder", "title", "aria-label"]});
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
